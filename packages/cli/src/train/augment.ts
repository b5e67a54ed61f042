/**
 * Translates one HWC image by (dy, dx) pixels, filling with zeros: the random-shift augmentation
 * used for small digit data sets (a digit moved by a pixel or two is the same digit).
 */
export function shiftImage(src: Float32Array, out: Float32Array, [h, w, c]: readonly [number, number, number], dy: number, dx: number): void {
  out.fill(0);
  const x0 = Math.max(0, dx);
  const x1 = Math.min(w, w + dx);
  if (x1 <= x0) return;
  for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
    const from = ((y - dy) * w + (x0 - dx)) * c;
    out.set(src.subarray(from, from + (x1 - x0) * c), (y * w + x0) * c);
  }
}
