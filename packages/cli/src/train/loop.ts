import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import type { ArrayAdam, ArrayUpdate } from './array-adam.js';
import { localShards, type BatchArrays, type ShardComputer } from './data-parallel.js';
import { packLayout } from './shards.js';
import { flipImage, randomResizedCrop, shiftImage } from './augment.js';
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
  /** The backbone was frozen (only the classifier trained, BatchNorm in inference mode). */
  frozen?: boolean;
  /** Accuracy and loss on the validation split, when the run has one. */
  valAccuracy?: number;
  valLoss?: number;
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
  /** Augmentation: mirror each training image left to right with probability 1/2. Default false. */
  flip?: boolean;
  /** Augmentation: a random resized crop (scale 0.08-1, aspect 3/4-4/3) of each training image. Default false. */
  randomResizedCrop?: boolean;
  /** Cross-entropy against `(1 - e) * one-hot + e / classes`. Default 0. */
  labelSmoothing?: number;
  /** The classifier's variables (by name): what trains while the backbone is frozen, at the full learning rate. Default none (no backbone/head split). */
  headVariables?: ReadonlySet<string>;
  /** Epochs (from the first) that train the classifier only, the backbone frozen with BatchNorm in inference mode. Default 0. */
  freezeEpochs?: number;
  /** The backbone's learning rate as a fraction of the classifier's. Default 1. */
  backboneLrScale?: number;
  /**
   * Split every batch into this many contiguous shards (near-equal), each its own forward and
   * backward pass with BatchNorm on that shard's statistics, the gradients averaged by shard size
   * and the running statistics kept from the first shard: on this thread, what `shardComputer`
   * workers do in parallel. Default 1 (the whole batch at once).
   */
  shards?: number;
  /** Computes the shards' gradients elsewhere (`startTrainWorkers`); overrides `shards`. Default none. */
  shardComputer?: ShardComputer;
  onBatch?: (progress: BatchProgress) => void;
  /** Called after every epoch (to checkpoint); training waits for it. */
  onEpochEnd?: (record: EpochRecord, position: LoopPosition) => Promise<void>;
}

/** Steps per epoch: the last batch may be smaller (no image is dropped). */
export function stepsPerEpoch(images: number, batchSize: number): number {
  return Math.ceil(images / batchSize);
}

/** The augmentations of a run, applied in this order. */
type Augment = Pick<LoopOptions, 'randomResizedCrop' | 'flip' | 'shift'>;

/**
 * The images and labels at `order[start .. start + size)` as tensors, each image augmented: a
 * random resized crop, a mirror, a shift by up to `shift` pixels (`random` draws every choice, so
 * they too follow from the seed).
 */
function batchArraysAt(set: ImageSet, order: Int32Array, start: number, size: number, augment: Augment, random: () => number): BatchArrays {
  const [h, w, c] = set.shape;
  const pixels = h * w * c;
  const data = new Float32Array(size * pixels);
  const labels = new Int32Array(size);
  const scratch = new Float32Array(pixels);
  const shift = augment.shift ?? 0;
  for (let i = 0; i < size; i++) {
    const from = order[start + i] as number;
    const out = data.subarray(i * pixels, (i + 1) * pixels);
    out.set(set.images.subarray(from * pixels, (from + 1) * pixels));
    if (augment.randomResizedCrop) {
      randomResizedCrop(out, scratch, set.shape, random);
      out.set(scratch);
    }
    if (augment.flip && random() < 0.5) {
      flipImage(out, scratch, set.shape);
      out.set(scratch);
    }
    if (shift > 0) {
      const draw = () => Math.floor(random() * (2 * shift + 1)) - shift;
      scratch.set(out);
      shiftImage(scratch, out, set.shape, draw(), draw());
    }
    labels[i] = set.labels[from] as number;
  }
  return { images: data, labels, shape: set.shape };
}

/**
 * Trains `model` (which outputs logits) with softmax cross-entropy from `start` until
 * `options.epochs` epochs are done. Every epoch visits each training image once, in an order (and
 * with random shifts) drawn from the seed and the epoch number only; the learning rate is a
 * function of the global step.
 * So the run's result depends only on the position it starts from, not on how often it resumed.
 */
export async function trainEpochs(model: tf.LayersModel, optimizer: ArrayAdam, data: ImageSet, numClasses: number, start: LoopPosition, options: LoopOptions): Promise<EpochRecord[]> {
  const count = data.labels.length;
  const steps = stepsPerEpoch(count, options.batchSize);
  const totalSteps = steps * options.epochs;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const layout = packLayout(variables.map((v) => v.shape));
  const head = options.headVariables ?? new Set<string>();
  const isHead = variables.map((v) => head.has(v.name));
  const backboneLrScale = options.backboneLrScale ?? 1;
  // The whole batch at once is one shard on this thread.
  const shards = options.shardComputer ?? localShards(options.shards ?? 1);
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
    const frozen = epoch < (options.freezeEpochs ?? 0) && head.size > 0;
    // Frozen: only the classifier learns (the backbone's gradients are zero: its moments stay zero
    // and it does not move). A slower backbone scales its step, exactly Adam's step at that rate
    // (the step is proportional to the rate, the moments independent of it).
    const learning = variables.map((_, i) => i).filter((i) => !frozen || isHead[i]);
    const learns = new Set(learning);
    const scales = variables.map((_, i) => (head.size === 0 || isHead[i] ? 1 : backboneLrScale));
    for (let s = 0; s < steps; s++) {
      const from = s * options.batchSize;
      const size = Math.min(options.batchSize, count - from);
      learningRate = learningRateAt(options.schedule, options.learningRate, step, totalSteps);
      optimizer.learningRate = learningRate;
      const batch = batchArraysAt(data, order, from, size, options, random);
      // Frozen: the backbone runs as at inference (BatchNorm's running statistics, no dropout).
      const result = await shards.gradients(model, batch, { training: !frozen, learning, numClasses, labelSmoothing: options.labelSmoothing ?? 0 });
      const updates: ArrayUpdate[] = variables.map((variable, i) => ({
        variable,
        gradient: learns.has(i) ? result.gradients.subarray(layout.offsets[i], (layout.offsets[i] as number) + (layout.sizes[i] as number)) : null,
        scale: scales[i] as number,
      }));
      optimizer.step(updates);
      shards.weightsChanged(model);
      lossSum += result.loss * size;
      correctSum += result.correct;
      step++;
      const done = from + size;
      const seconds = (performance.now() - began) / 1000;
      options.onBatch?.({ epoch: epoch + 1, epochs: options.epochs, done, total: count, loss: lossSum / done, accuracy: correctSum / done, imagesPerSecond: done / seconds, seconds });
    }
    const seconds = (performance.now() - began) / 1000;
    const record: EpochRecord = { epoch: epoch + 1, loss: lossSum / count, accuracy: correctSum / count, images: count, seconds, imagesPerSecond: count / seconds, learningRate, ...(frozen ? { frozen } : {}) };
    records.push(record);
    // The model's BatchNorm running statistics are rank 0's, also on every replica from here on.
    await shards.syncStatistics(model);
    await options.onEpochEnd?.(record, { epoch: epoch + 1, step });
  }
  return records;
}
