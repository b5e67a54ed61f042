import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { shiftImage } from './augment.js';
import { epochSeed, seededPermutation, seededRandom } from './random.js';
import { learningRateAt, type ScheduleName } from './schedule.js';

/** Where a run stands: epochs and optimizer steps completed. */
export interface LoopPosition {
  epoch: number;
  step: number;
}

/** What one epoch did. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  learningRate: number;
}

/** Progress within an epoch, after every batch. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  /** Running means over the epoch so far. */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  seconds: number;
}

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  schedule: ScheduleName;
  seed: number;
  /** Shift each training image by up to this many pixels in each direction, at random. Default 0. */
  shift?: number;
  onBatch?: (progress: BatchProgress) => void;
  /** Called after every epoch (to checkpoint); training waits for it. */
  onEpochEnd?: (record: EpochRecord, position: LoopPosition) => Promise<void>;
}

/** Steps per epoch: the last batch may be smaller (no image is dropped). */
export function stepsPerEpoch(images: number, batchSize: number): number {
  return Math.ceil(images / batchSize);
}

/**
 * The images and labels at `order[start .. start + size)` as tensors, each image shifted at random
 * by up to `shift` pixels (`random` draws the shifts, so they too follow from the seed).
 */
function batchAt(set: ImageSet, order: Int32Array, start: number, size: number, numClasses: number, shift: number, random: () => number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const [h, w, c] = set.shape;
  const pixels = h * w * c;
  const data = new Float32Array(size * pixels);
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const from = order[start + i] as number;
    const image = set.images.subarray(from * pixels, (from + 1) * pixels);
    if (shift > 0) {
      const draw = () => Math.floor(random() * (2 * shift + 1)) - shift;
      shiftImage(image, data.subarray(i * pixels, (i + 1) * pixels), set.shape, draw(), draw());
    } else {
      data.set(image, i * pixels);
    }
    labels[i] = set.labels[from] as number;
  }
  return tf.tidy(() => ({ x: tf.tensor4d(data, [size, h, w, c]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D }));
}

/** The learning rate of an Adam-style TF.js optimizer: a plain field it reads at every step. */
function setLearningRate(optimizer: tf.Optimizer, value: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = value;
}

/**
 * Trains `model` (which outputs logits) with softmax cross-entropy from `start` until
 * `options.epochs` epochs are done. Every epoch visits each training image once, in an order (and
 * with random shifts) drawn from the seed and the epoch number only; the learning rate is a
 * function of the global step.
 * So the run's result depends only on the position it starts from, not on how often it resumed.
 */
export async function trainEpochs(model: tf.LayersModel, optimizer: tf.Optimizer, data: ImageSet, numClasses: number, start: LoopPosition, options: LoopOptions): Promise<EpochRecord[]> {
  const count = data.labels.length;
  const steps = stepsPerEpoch(count, options.batchSize);
  const totalSteps = steps * options.epochs;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const records: EpochRecord[] = [];
  let step = start.step;
  for (let epoch = start.epoch; epoch < options.epochs; epoch++) {
    const order = seededPermutation(count, epochSeed(options.seed, epoch));
    // Its own stream for the shifts, also a function of (seed, epoch) only.
    const random = seededRandom(epochSeed(options.seed, epoch) ^ 0x5bd1e995);
    const began = performance.now();
    let lossSum = 0;
    let correctSum = 0;
    let learningRate = options.learningRate;
    for (let s = 0; s < steps; s++) {
      const from = s * options.batchSize;
      const size = Math.min(options.batchSize, count - from);
      learningRate = learningRateAt(options.schedule, options.learningRate, step, totalSteps);
      setLearningRate(optimizer, learningRate);
      const { x, y } = batchAt(data, order, from, size, numClasses, options.shift ?? 0, random);
      let correct: tf.Scalar | undefined;
      const loss = optimizer.minimize(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor2D;
        correct = tf.keep(tf.sum(tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)).toFloat()) as tf.Scalar);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      }, true, variables) as tf.Scalar;
      const [lossValue, correctValue] = await Promise.all([loss.data(), (correct as tf.Scalar).data()]);
      tf.dispose([x, y, loss, correct as tf.Scalar]);
      lossSum += (lossValue[0] as number) * size;
      correctSum += correctValue[0] as number;
      step++;
      const done = from + size;
      const seconds = (performance.now() - began) / 1000;
      options.onBatch?.({ epoch: epoch + 1, epochs: options.epochs, done, total: count, loss: lossSum / done, accuracy: correctSum / done, imagesPerSecond: done / seconds, seconds });
    }
    const seconds = (performance.now() - began) / 1000;
    const record: EpochRecord = { epoch: epoch + 1, loss: lossSum / count, accuracy: correctSum / count, images: count, seconds, imagesPerSecond: count / seconds, learningRate };
    records.push(record);
    await options.onEpochEnd?.(record, { epoch: epoch + 1, step });
  }
  return records;
}
