/** The 2-D context of `canvas`, cleared to white (or `background`). */
export function clearCanvas(canvas: HTMLCanvasElement, background = '#fff'): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error(`canvas #${canvas.id}: no 2-D context`);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  return ctx;
}

/** The canvas with id `id`; throws naming the id when the page has none. */
export function canvasById(id: string): HTMLCanvasElement {
  const el = document.getElementById(id);
  if (!(el instanceof HTMLCanvasElement)) throw new Error(`the page has no canvas #${id}`);
  return el;
}

/** The element with id `id` (of type `T`); throws naming the id when the page has none. */
export function elementById<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no element #${id}`);
  return el as T;
}

/** Fills a `<select>` with `options` (value and label) and selects `selected`. */
export function fillSelect(select: HTMLSelectElement, options: readonly (string | number)[], selected: string | number): void {
  select.replaceChildren(
    ...options.map((value) => {
      const option = document.createElement('option');
      option.value = String(value);
      option.textContent = String(value);
      option.selected = String(value) === String(selected);
      return option;
    }),
  );
}
