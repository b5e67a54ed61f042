// The fine-tune panel's classes, Teachable Machine's way: a card per class with its name, its
// images (chosen or dropped) as thumbnails, and a remove button.
import { onImageFiles } from './file-drop.js';

/** One class as the cards hold it. */
export interface ClassImages {
  name: string;
  files: File[];
}

const filesOf = new WeakMap<HTMLElement, File[]>();
let created = 0;

function showFiles(card: HTMLElement): void {
  const files = filesOf.get(card) ?? [];
  (card.querySelector('.count') as HTMLElement).textContent = `${files.length} image${files.length === 1 ? '' : 's'}`;
  const thumbs = card.querySelector('.thumbs') as HTMLElement;
  for (const img of thumbs.querySelectorAll('img')) URL.revokeObjectURL(img.src);
  thumbs.replaceChildren(
    ...files.map((file) => {
      const img = document.createElement('img');
      img.src = URL.createObjectURL(file);
      img.alt = file.name;
      img.title = file.name;
      return img;
    }),
  );
  card.dataset.images = String(files.length);
}

/** Appends a card named `name`; its inputs are `#fine-tune-class-<n>-name` and `-files`, n from 1 in creation order. */
export function addClassCard(container: HTMLElement, name: string): HTMLElement {
  const n = ++created;
  const card = document.createElement('div');
  card.className = 'class-card drop';
  card.innerHTML = `
    <div class="class-head"><input class="class-name" id="fine-tune-class-${n}-name" aria-label="class name">
    <button class="remove" title="remove this class">×</button></div>
    <label>images <input type="file" id="fine-tune-class-${n}-files" accept="image/*" multiple></label>
    <span class="count"></span><div class="thumbs"></div>`;
  (card.querySelector('.class-name') as HTMLInputElement).value = name;
  filesOf.set(card, []);
  onImageFiles(card, card.querySelector('input[type=file]') as HTMLInputElement, (files) => {
    filesOf.set(card, [...(filesOf.get(card) ?? []), ...files]);
    showFiles(card);
  });
  (card.querySelector('.remove') as HTMLButtonElement).addEventListener('click', () => card.remove());
  showFiles(card);
  container.append(card);
  return card;
}

/** The classes in card order; throws when they cannot be trained on (fewer than 2, a name empty or repeated, no images). */
export function readClasses(container: HTMLElement): ClassImages[] {
  const classes = [...container.querySelectorAll<HTMLElement>('.class-card')].map((card) => ({
    name: (card.querySelector('.class-name') as HTMLInputElement).value.trim(),
    files: filesOf.get(card) ?? [],
  }));
  if (classes.length < 2) throw new Error(`a classifier needs at least 2 classes (got ${classes.length})`);
  classes.forEach((c, i) => {
    if (c.name === '') throw new Error(`class ${i + 1} has no name`);
    if (c.files.length === 0) throw new Error(`class "${c.name}" has no images`);
  });
  const names = classes.map((c) => c.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new Error(`two classes are named "${repeated}"`);
  return classes;
}
