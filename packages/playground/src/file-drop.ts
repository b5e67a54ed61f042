/**
 * Calls `onFiles` with the image files chosen in `input` or dropped on `zone` (other files are
 * skipped). The input is cleared afterwards, so that choosing the same file again is a change.
 */
export function onImageFiles(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  const images = (list: FileList | null | undefined) => [...(list ?? [])].filter((f) => f.type === '' || f.type.startsWith('image/'));
  input.addEventListener('change', () => {
    const files = images(input.files);
    input.value = '';
    if (files.length > 0) onFiles(files);
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    const files = images(e.dataTransfer?.files);
    if (files.length > 0) onFiles(files);
  });
}

/** The file's bytes, as `classify` and `fineTune` take them (decoded by the browser). */
export async function fileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}
