import { selectImages, type ImageSet } from './dataset.js';
import { heldOutIndices } from './mnist.js';

/**
 * Splits `fraction` of each class's images off `set` as a validation set, evenly spaced through the
 * class's images (as MNIST's test split is), deterministically. Returns the rest and the split.
 */
export function splitValidation(set: ImageSet, fraction: number): { train: ImageSet; validation: ImageSet } {
  const byClass = new Map<number, number[]>();
  set.labels.forEach((label, i) => byClass.set(label, [...(byClass.get(label) ?? []), i]));
  const train: number[] = [];
  const validation: number[] = [];
  for (const indices of byClass.values()) {
    const held = heldOutIndices(indices.length, fraction);
    indices.forEach((index, j) => (held.has(j) ? validation : train).push(index));
  }
  return { train: selectImages(set, train.sort((a, b) => a - b)), validation: selectImages(set, validation.sort((a, b) => a - b)) };
}
