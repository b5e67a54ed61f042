/** An indexable array of numbers (any typed array). */
export interface NumberArray {
  [index: number]: number;
  readonly length: number;
}

/**
 * Copies the strided view `shape` / `strides` (in elements) starting at element `offset` of `source`
 * into `target`, in row-major order: the gather behind a transpose and behind reading a
 * non-contiguous PyTorch tensor. With `wordsPerElement` > 1 an element is that many consecutive
 * words (an 8-byte value copied as two 32-bit halves, so no float NaN is ever touched).
 */
export function copyStrided(source: NumberArray, offset: number, shape: readonly number[], strides: readonly number[], target: NumberArray, wordsPerElement = 1): void {
  const rank = shape.length;
  const count = shape.reduce((n, d) => n * d, 1);
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let element = 0; element < count; element++) {
    for (let w = 0; w < wordsPerElement; w++) target[element * wordsPerElement + w] = source[at * wordsPerElement + w] as number;
    // Advance the index like an odometer, keeping `at` in step.
    for (let axis = rank - 1; axis >= 0; axis--) {
      const next = (index[axis] as number) + 1;
      if (next < (shape[axis] as number)) {
        index[axis] = next;
        at += strides[axis] as number;
        break;
      }
      index[axis] = 0;
      at -= (next - 1) * (strides[axis] as number);
    }
  }
}

/** Row-major strides of `shape`, in elements. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = (strides[i + 1] as number) * (shape[i + 1] as number);
  return strides;
}
