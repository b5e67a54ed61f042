import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { ImageDataset, ImageSet, SkippedImage } from './dataset.js';
import { decodeImage } from './decode.js';
import { fitImage, type FitMode } from './resize.js';
import { seededPermutation } from '../train/random.js';
import { UsageError } from '../errors.js';

/** File extensions read as images (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** Options of `loadImageFolder`. */
export interface ImageFolderOptions {
  /** `[height, width]` every image is brought to. */
  imageSize: [number, number];
  /** How: `resize` (bilinear) or `pad` (centred on black). Default 'resize'. */
  fit?: FitMode;
  /** 3 (RGB) or 1 (grey). Default 3. */
  channels?: 1 | 3;
  /** Share of each class held out for testing when the folder has no `train/` and `test/`. Default 0.2. */
  testFraction?: number;
  trainPerClass?: number;
  testPerClass?: number;
  /** Called for every file that is left out. Default: none (they are listed in `skipped`). */
  onSkip?: (skipped: SkippedImage) => void;
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

function imageFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(d.name).toLowerCase()))
    .map((d) => join(dir, d.name))
    .sort();
}

/** Decodes and fits `files` (label per file) into one set; undecodable files go to `skipped`. */
function readImages(files: { path: string; label: number }[], options: ImageFolderOptions, skipped: SkippedImage[]): ImageSet {
  const channels = options.channels ?? 3;
  const shape: [number, number, number] = [options.imageSize[0], options.imageSize[1], channels];
  const size = shape[0] * shape[1] * channels;
  const images = new Float32Array(files.length * size);
  const labels: number[] = [];
  for (const file of files) {
    try {
      const decoded = decodeImage(readFileSync(file.path), channels);
      images.set(fitImage(decoded.pixels, decoded.shape, shape, options.fit ?? 'resize'), labels.length * size);
      labels.push(file.label);
    } catch (error) {
      const entry = { path: file.path, reason: (error as Error).message };
      skipped.push(entry);
      options.onSkip?.(entry);
    }
  }
  return { images: images.slice(0, labels.length * size), labels: Int32Array.from(labels), shape };
}

/**
 * A folder of labelled images: one sub-folder per class (sorted names = labels 0, 1, ...) of PNG
 * and JPEG files, decoded in pure JS and brought to `imageSize`. If the folder has `train/` and
 * `test/` sub-folders, those are the split; otherwise each class's files are shuffled with a fixed
 * seed and the last `testFraction` are held out. A file that cannot be decoded is reported by path
 * (`skipped`, `onSkip`) and left out; it never stops the run.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions): ImageDataset {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`--data: ${dir} is not a directory (expected 'mnist' or a folder with one sub-folder of images per class)`);
  const top = subfolders(root);
  const hasSplit = top.includes('train') && top.includes('test');
  const classNames = hasSplit ? subfolders(join(root, 'train')) : top;
  if (classNames.length < 2) throw new UsageError(`--data: ${dir} must hold one sub-folder of images per class, at least two (found ${classNames.length})`);
  const testFraction = options.testFraction ?? 0.2;
  const trainFiles: { path: string; label: number }[] = [];
  const testFiles: { path: string; label: number }[] = [];
  const limit = (files: string[], perClass: number | undefined) => (perClass === undefined ? files : files.slice(0, perClass));
  classNames.forEach((name, label) => {
    let train: string[];
    let test: string[];
    if (hasSplit) {
      train = imageFiles(join(root, 'train', name));
      test = existsSync(join(root, 'test', name)) ? imageFiles(join(root, 'test', name)) : [];
    } else {
      const files = imageFiles(join(root, name));
      const order = Array.from(seededPermutation(files.length, label + 1), (i) => files[i] as string);
      const testCount = Math.round(files.length * testFraction);
      train = order.slice(0, files.length - testCount);
      test = order.slice(files.length - testCount);
    }
    // Subsets are taken before decoding: a quick run on a big folder reads only what it uses.
    for (const path of limit(train, options.trainPerClass)) trainFiles.push({ path, label });
    for (const path of limit(test, options.testPerClass)) testFiles.push({ path, label });
  });
  if (trainFiles.length === 0) throw new UsageError(`--data: ${dir} has no PNG or JPEG images in its class folders`);
  const skipped: SkippedImage[] = [];
  const train = readImages(trainFiles, options, skipped);
  const test = readImages(testFiles, options, skipped);
  return { source: root, classNames, train, test, skipped };
}
