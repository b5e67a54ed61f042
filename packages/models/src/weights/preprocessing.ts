import type { Preprocessing } from '../types.js';

/** ImageNet's mean and std (torchvision's and timm's `IMAGENET_DEFAULT_*`), in [0, 1] units. */
export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as Pick<Preprocessing, 'mean' | 'std'>;
/** timm's `IMAGENET_INCEPTION_*`: 0.5 / 0.5, i.e. inputs in [-1, 1]. */
const INCEPTION = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } as Pick<Preprocessing, 'mean' | 'std'>;

/** torchvision's `ImageClassification` transform of one weights enum (`resize` then centre `crop`). */
export function torchvisionPreprocessing(resize: number, crop: number, interpolation: 'bilinear' | 'bicubic', source: string): Preprocessing {
  return { ...IMAGENET, inputRange: [0, 1], channelOrder: 'rgb', crop: { resize, size: crop, interpolation }, source };
}

/** timm's pretrained cfg: resize to `floor(size / cropPct)`, centre crop `size`; `stats` names timm's
 * ImageNet or Inception constants, or gives a checkpoint's own mean and std. */
export function timmPreprocessing(
  size: number,
  cropPct: number,
  interpolation: 'bilinear' | 'bicubic',
  stats: 'imagenet' | 'inception' | Pick<Preprocessing, 'mean' | 'std'>,
  source: string,
): Preprocessing {
  const { mean, std } = stats === 'imagenet' ? IMAGENET : stats === 'inception' ? INCEPTION : stats;
  return { mean, std, inputRange: [0, 1], channelOrder: 'rgb', crop: { resize: Math.floor(size / cropPct), size, interpolation }, source };
}

/** torchvision's IMAGENET1K_V1 recipe for most families: resize 256, crop 224, bilinear. */
export const TORCHVISION_V1 = torchvisionPreprocessing(256, 224, 'bilinear', 'torchvision IMAGENET1K_V1 transforms');

/**
 * megvii's ShuffleNet-Series (ShuffleNetV1/train.py): `OpencvResize(256)` (cv2 INTER_LINEAR on the
 * shorter side), `CenterCrop(224)`, `ToBGRTensor()` — BGR floats in [0, 255], no mean or std.
 */
export const MEGVII: Preprocessing = {
  mean: [0, 0, 0],
  std: [1, 1, 1],
  inputRange: [0, 255],
  channelOrder: 'bgr',
  crop: { resize: 256, size: 224, interpolation: 'bilinear' },
  source: 'megvii ShuffleNet-Series: OpencvResize(256), CenterCrop(224), ToBGRTensor',
};
