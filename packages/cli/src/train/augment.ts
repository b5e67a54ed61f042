import { resizeImage } from '@netblocks/models';

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

/** Mirrors one HWC image left to right, from `src` into `out`. */
export function flipImage(src: Float32Array, out: Float32Array, [h, w, c]: readonly [number, number, number]): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (y * w + x) * c;
      const to = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[to + k] = src[from + k] as number;
    }
  }
}

/**
 * timm's / torchvision's `RandomResizedCrop(scale=(0.08, 1), ratio=(3/4, 4/3))` window: an area
 * fraction and a log-uniform aspect ratio, ten tries to fit, else the centre crop of the clamped
 * ratio. Returns `[top, left, height, width]` in pixels of an `h` x `w` image.
 */
export function randomResizedCropWindow(h: number, w: number, random: () => number, scale: readonly [number, number] = [0.08, 1], ratio: readonly [number, number] = [3 / 4, 4 / 3]): [number, number, number, number] {
  const area = h * w;
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + random() * (scale[1] - scale[0]));
    const aspect = Math.exp(logLo + random() * (logHi - logLo));
    const cw = Math.round(Math.sqrt(target * aspect));
    const ch = Math.round(Math.sqrt(target / aspect));
    if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
      const top = Math.floor(random() * (h - ch + 1));
      const left = Math.floor(random() * (w - cw + 1));
      return [top, left, ch, cw];
    }
  }
  const inRatio = w / h;
  const [ch, cw] = inRatio < ratio[0] ? [Math.round(w / ratio[0]), w] : inRatio > ratio[1] ? [h, Math.round(h * ratio[1])] : [h, w];
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

/** `randomResizedCropWindow`'s window of `src`, resized (antialiased bilinear) back to the image's size, into `out`. */
export function randomResizedCrop(src: Float32Array, out: Float32Array, [h, w, c]: readonly [number, number, number], random: () => number): void {
  const [top, left, ch, cw] = randomResizedCropWindow(h, w, random);
  const window = new Float32Array(ch * cw * c);
  for (let y = 0; y < ch; y++) window.set(src.subarray(((top + y) * w + left) * c, ((top + y) * w + left + cw) * c), y * cw * c);
  out.set(resizeImage({ data: window, height: ch, width: cw, channels: c }, h, w, 'bilinear').data);
}
