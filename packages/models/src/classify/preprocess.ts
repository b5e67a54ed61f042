// One image to one network input, the way the weights' recipe (torchvision's or timm's eval
// transform) prepares it: torchvision's `Resize(resize)` of the shorter side, `CenterCrop(size)`,
// `ToTensor`, `Normalize(mean, std)`, done on floats (see resample.ts) instead of PIL's bytes.

import type { Preprocessing } from '../types.js';
import { resizeImage, type FloatImage } from './resample.js';

/** Python's `round` (half to even), which torchvision's `center_crop` offsets use. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  if (value - floor !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** torchvision's `Resize(size)` for an int size: the shorter side becomes `size`, the longer `int(size * long / short)`. */
export function shorterSideSize(height: number, width: number, size: number): [number, number] {
  if (height <= width) return [size, Math.floor((size * width) / height)];
  return [Math.floor((size * height) / width), size];
}

/** torchvision's `CenterCrop`: the `size` x `size` window at `round((H - size) / 2)`, `round((W - size) / 2)`. */
export function centerCrop(image: FloatImage, size: number): FloatImage {
  const { data, height, width, channels: c } = image;
  if (height < size || width < size) throw new Error(`centerCrop: a ${height}x${width} image is smaller than the crop (size=${size})`);
  const top = roundHalfEven((height - size) / 2);
  const left = roundHalfEven((width - size) / 2);
  const out = new Float32Array(size * size * c);
  for (let y = 0; y < size; y++) out.set(data.subarray(((top + y) * width + left) * c, ((top + y) * width + left + size) * c), y * size * c);
  return { data: out, height: size, width: size, channels: c };
}

/** Centres `image` on a black `size` x `size` canvas, scaled down keeping its aspect if it is larger. */
function padCentered(image: FloatImage, size: number, interpolation: Preprocessing['crop']['interpolation']): FloatImage {
  let source = image;
  if (image.height > size || image.width > size) {
    const scale = Math.min(size / image.height, size / image.width);
    source = resizeImage(image, Math.max(1, Math.round(image.height * scale)), Math.max(1, Math.round(image.width * scale)), interpolation);
  }
  const { data, height, width, channels: c } = source;
  const out = new Float32Array(size * size * c);
  const top = Math.floor((size - height) / 2);
  const left = Math.floor((size - width) / 2);
  for (let y = 0; y < height; y++) out.set(data.subarray(y * width * c, (y + 1) * width * c), ((top + y) * size + left) * c);
  return { data: out, height: size, width: size, channels: c };
}

/** 1 (grey, ITU-R BT.601 luma), 3 (RGB) or 4 (RGBA, alpha dropped) channels to `channels` (1 or 3). */
export function toChannels(image: FloatImage, channels: 1 | 3): FloatImage {
  const { data, height, width, channels: from } = image;
  if (from === channels) return image;
  if (from !== 1 && from !== 3 && from !== 4) throw new Error(`toChannels: an image must have 1, 3 or 4 channels (got channels=${from})`);
  const pixels = height * width;
  const out = new Float32Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    if (from === 1) {
      out.fill(data[p] as number, p * channels, (p + 1) * channels);
    } else if (channels === 1) {
      out[p] = 0.299 * (data[p * from] as number) + 0.587 * (data[p * from + 1] as number) + 0.114 * (data[p * from + 2] as number);
    } else {
      out[3 * p] = data[p * from] as number;
      out[3 * p + 1] = data[p * from + 1] as number;
      out[3 * p + 2] = data[p * from + 2] as number;
    }
  }
  return { data: out, height, width, channels };
}

/** Brings an image (pixels in [0, 1]) to `recipe.crop.size` square by `recipe.fit`. */
export function fitToRecipe(image: FloatImage, recipe: Pick<Preprocessing, 'crop' | 'fit'>): FloatImage {
  const { resize, size, interpolation } = recipe.crop;
  switch (recipe.fit ?? 'center-crop') {
    case 'center-crop': {
      const [h, w] = shorterSideSize(image.height, image.width, resize);
      return centerCrop(resizeImage(image, h, w, interpolation), size);
    }
    case 'resize':
      return resizeImage(image, size, size, interpolation);
    case 'pad':
      return padCentered(image, size, interpolation);
    default:
      throw new Error(`preprocessing: \`fit\` must be 'center-crop', 'resize' or 'pad' (got fit=${JSON.stringify(recipe.fit)})`);
  }
}

/** Scales [0, 1] pixels to `inputRange`, orders the channels, and applies `(x - mean) / std` (mean
 * and std in the network's channel order), in place. */
export function normalizeInPlace(image: FloatImage, recipe: Pick<Preprocessing, 'mean' | 'std' | 'inputRange' | 'channelOrder'>): FloatImage {
  const { data, channels: c } = image;
  const [lo, hi] = recipe.inputRange;
  const span = hi - lo;
  const bgr = recipe.channelOrder === 'bgr' && c === 3;
  const { mean, std } = recipe;
  for (let p = 0; p < data.length; p += c) {
    if (bgr) {
      const r = data[p] as number;
      data[p] = data[p + 2] as number;
      data[p + 2] = r;
    }
    for (let k = 0; k < c; k++) data[p + k] = ((data[p + k] as number) * span + lo - (mean[k] as number)) / (std[k] as number);
  }
  return image;
}

/** One image (pixels in [0, 1], any size, 1/3/4 channels) as the network's `[size, size, channels]` input under `recipe`. */
export function preprocessImage(image: FloatImage, recipe: Preprocessing, channels: 1 | 3): FloatImage {
  return normalizeInPlace(fitToRecipe(toChannels(image, channels), recipe), recipe);
}
