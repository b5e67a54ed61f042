import type { ImageSet } from './dataset.js';

/** How an image meets the model's input size: `resize` scales it (bilinear); `pad` centres it on a
 * black canvas (as LeNet-5 pads MNIST's 28x28 digits to 32x32), scaling only if it is larger. */
export type FitMode = 'resize' | 'pad';

/**
 * Bilinear resampling of one HWC image with half-pixel centres (TF's `resizeBilinear` with
 * `halfPixelCenters: true`, PyTorch's `align_corners=False`).
 */
export function resizeBilinear(src: Float32Array, [h, w, c]: readonly [number, number, number], outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW * c);
  if (h === outH && w === outW) {
    out.set(src);
    return out;
  }
  const sy = h / outH;
  const sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const dy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dx = fx - x0;
      for (let k = 0; k < c; k++) {
        const a = src[(y0 * w + x0) * c + k] as number;
        const b = src[(y0 * w + x1) * c + k] as number;
        const d = src[(y1 * w + x0) * c + k] as number;
        const e = src[(y1 * w + x1) * c + k] as number;
        out[(y * outW + x) * c + k] = (a * (1 - dx) + b * dx) * (1 - dy) + (d * (1 - dx) + e * dx) * dy;
      }
    }
  }
  return out;
}

/** Centres one HWC image on a zero canvas of `outH` x `outW` (it must fit). */
function padCentered(src: Float32Array, [h, w, c]: readonly [number, number, number], outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW * c);
  const top = Math.floor((outH - h) / 2);
  const left = Math.floor((outW - w) / 2);
  for (let y = 0; y < h; y++) out.set(src.subarray(y * w * c, (y + 1) * w * c), ((top + y) * outW + left) * c);
  return out;
}

/** Converts one HWC image between 1 channel (grey) and 3 (RGB); grey is ITU-R BT.601 luma. */
export function convertChannels(src: Float32Array, pixels: number, from: number, to: number): Float32Array {
  if (from === to) return src;
  const out = new Float32Array(pixels * to);
  for (let p = 0; p < pixels; p++) {
    if (from === 1) out.fill(src[p] as number, p * to, (p + 1) * to);
    else out[p] = 0.299 * (src[p * from] as number) + 0.587 * (src[p * from + 1] as number) + 0.114 * (src[p * from + 2] as number);
  }
  return out;
}

/** One HWC image brought to `[outH, outW, outC]` by `fit` and channel conversion. */
export function fitImage(src: Float32Array, shape: readonly [number, number, number], [outH, outW, outC]: readonly [number, number, number], fit: FitMode): Float32Array {
  const [h, w, c] = shape;
  let sized: Float32Array;
  if (fit === 'pad' && h <= outH && w <= outW) {
    sized = padCentered(src, shape, outH, outW);
  } else if (fit === 'pad') {
    // Too large to pad: scale down keeping the aspect ratio, then pad.
    const scale = Math.min(outH / h, outW / w);
    const [sh, sw] = [Math.max(1, Math.round(h * scale)), Math.max(1, Math.round(w * scale))];
    sized = padCentered(resizeBilinear(src, shape, sh, sw), [sh, sw, c], outH, outW);
  } else {
    sized = resizeBilinear(src, shape, outH, outW);
  }
  return convertChannels(sized, outH * outW, c, outC);
}

/** Every image of `set` brought to `shape` (see `fitImage`); a set already of that shape is returned as is. */
export function fitImageSet(set: ImageSet, shape: [number, number, number], fit: FitMode): ImageSet {
  if (set.shape.every((d, i) => d === shape[i])) return set;
  const inSize = set.shape[0] * set.shape[1] * set.shape[2];
  const outSize = shape[0] * shape[1] * shape[2];
  const count = set.labels.length;
  const images = new Float32Array(count * outSize);
  for (let i = 0; i < count; i++) {
    images.set(fitImage(set.images.subarray(i * inSize, (i + 1) * inSize), set.shape, shape, fit), i * outSize);
  }
  return { images, labels: set.labels, shape };
}
