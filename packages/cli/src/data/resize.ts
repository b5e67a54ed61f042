import { fitToRecipe, resizeImage, toChannels } from '@netblocks/models';
import type { ImageSet } from './dataset.js';

/** How an image meets the model's input size: `resize` scales it (bilinear); `pad` centres it on a
 * black canvas (as LeNet-5 pads MNIST's 28x28 digits to 32x32), scaling only if it is larger. */
export type FitMode = 'resize' | 'pad';

/**
 * One HWC image brought to `[outH, outW, outC]` by `fit` and channel conversion, with
 * @netblocks/models' resampling (PIL's antialiased bilinear filter, as `classify` prepares images
 * for a model this package trained; upscaling it equals TF's half-pixel bilinear resize).
 */
export function fitImage(src: Float32Array, [h, w, c]: readonly [number, number, number], [outH, outW, outC]: readonly [number, number, number], fit: FitMode): Float32Array {
  const image = toChannels({ data: src, height: h, width: w, channels: c }, outC as 1 | 3);
  if (outH !== outW) {
    if (fit === 'pad') throw new Error(`fitImage: 'pad' fits square inputs only (got ${outH}x${outW})`);
    return resizeImage(image, outH, outW, 'bilinear').data;
  }
  const fitted = fitToRecipe(image, { crop: { resize: outH, size: outH, interpolation: 'bilinear' }, fit });
  return fitted.data === src ? src.slice() : fitted.data;
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
