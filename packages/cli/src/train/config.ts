import { availableParallelism } from 'node:os';
import { getModelInfo } from '@netblocks/models';
import { isMnist, mnistDigits } from '../data/mnist.js';
import type { FitMode } from '../data/resize.js';
import { UsageError } from '../errors.js';
import { SCHEDULES, type ScheduleName } from './schedule.js';

/** Backends training runs on in Node. */
export const TRAIN_BACKENDS = ['wasm', 'cpu'] as const;
export type TrainBackend = (typeof TRAIN_BACKENDS)[number];

/** What a training run is: every field that decides its result (saved with each checkpoint). */
export interface RunConfig {
  model: string;
  data: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  schedule: ScheduleName;
  imageSize: number;
  fit: FitMode;
  channels: 1 | 3;
  seed: number;
  /** Random-shift augmentation: pixels each training image may move in each direction. */
  shift: number;
  testFraction: number;
  trainPerClass: number | null;
  testPerClass: number | null;
  numClasses: number | null;
  widthMultiplier: number | null;
  groups: number | null;
  dropRate: number | null;
  /** Fine-tune from these weights (see `startingPoint`): 'default', a tag, hub:<repo>, a URL or a saved model directory; null trains from scratch. */
  pretrained: string | null;
  /** Epochs that train only the new classifier (backbone frozen, BatchNorm in inference mode). */
  freezeEpochs: number;
  /** The backbone's learning rate as a fraction of `learningRate` (fine-tuning). */
  backboneLrScale: number;
  labelSmoothing: number;
  /** Augmentation: random horizontal flips. */
  flip: boolean;
  /** Augmentation: random resized crops (scale 0.08-1, aspect 3/4-4/3). */
  randomResizedCrop: boolean;
  /** Share of each class's training images evaluated after every epoch (the best epoch's model is kept). */
  valFraction: number;
  /**
   * Data-parallel worker threads: each batch is split into this many shards, one per worker
   * (BatchNorm per shard, gradients averaged). Part of the run: 2 workers train as 1 worker
   * accumulating over 2 shards, not as 1 worker on whole batches.
   */
  workers: number;
}

/** The run's options as given (any may be left out: defaults, or the checkpoint's on resume). */
export type RunOptions = Partial<Omit<RunConfig, 'workers'>> & {
  model: string;
  data: string;
  /** A number, or 'auto' (`autoWorkers`). Default 1: the calling thread alone. */
  workers?: number | 'auto';
};

/** Images of a batch per worker below which 'auto' uses fewer workers (BatchNorm's statistics need enough images). */
export const MIN_IMAGES_PER_WORKER = 16;

/**
 * `workers: 'auto'`: one per core available, but no more than one per `MIN_IMAGES_PER_WORKER`
 * images of a batch (at least 1). Batch 32 on 2 cores or more: 2.
 */
export function autoWorkers(batchSize: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores, Math.floor(batchSize / MIN_IMAGES_PER_WORKER)));
}

function check(ok: boolean, field: string, value: unknown, must: string): void {
  if (!ok) throw new UsageError(`\`${field}\` must be ${must} (got ${field}=${JSON.stringify(value)})`);
}

/** Checks every field's value; errors name the field and the value. */
export function checkRunConfig(config: RunConfig): RunConfig {
  const positiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const nullOr = (v: unknown, test: (v: unknown) => boolean) => v === null || test(v);
  check(positiveInt(config.epochs), 'epochs', config.epochs, 'a positive integer');
  check(positiveInt(config.batchSize), 'batchSize', config.batchSize, 'a positive integer');
  check(config.learningRate > 0 && Number.isFinite(config.learningRate), 'learningRate', config.learningRate, 'a positive number');
  check((SCHEDULES as readonly string[]).includes(config.schedule), 'schedule', config.schedule, `one of ${SCHEDULES.join(', ')}`);
  check(positiveInt(config.imageSize), 'imageSize', config.imageSize, 'a positive integer');
  check(config.fit === 'resize' || config.fit === 'pad', 'fit', config.fit, "'resize' or 'pad'");
  check(config.channels === 1 || config.channels === 3, 'channels', config.channels, '1 or 3');
  check(Number.isInteger(config.seed) && config.seed >= 0, 'seed', config.seed, 'a non-negative integer');
  check(Number.isInteger(config.shift) && config.shift >= 0 && config.shift < config.imageSize, 'shift', config.shift, 'a non-negative integer below the image size');
  check(config.testFraction > 0 && config.testFraction < 1, 'testFraction', config.testFraction, 'in (0, 1)');
  check(nullOr(config.trainPerClass, positiveInt), 'trainPerClass', config.trainPerClass, 'a positive integer');
  check(nullOr(config.testPerClass, positiveInt), 'testPerClass', config.testPerClass, 'a positive integer');
  check(nullOr(config.numClasses, positiveInt), 'numClasses', config.numClasses, 'a positive integer');
  check(nullOr(config.widthMultiplier, (v) => (v as number) > 0), 'widthMultiplier', config.widthMultiplier, 'a positive number');
  check(nullOr(config.groups, positiveInt), 'groups', config.groups, 'a positive integer');
  check(nullOr(config.dropRate, (v) => (v as number) >= 0 && (v as number) < 1), 'dropRate', config.dropRate, 'in [0, 1)');
  check(nullOr(config.pretrained, (v) => typeof v === 'string' && v !== ''), 'pretrained', config.pretrained, 'a checkpoint: a tag, hub:<repo>, a URL or a saved model directory');
  check(Number.isInteger(config.freezeEpochs) && config.freezeEpochs >= 0 && config.freezeEpochs <= config.epochs, 'freezeEpochs', config.freezeEpochs, 'an integer from 0 to the epochs');
  check(config.freezeEpochs === 0 || config.pretrained !== null, 'freezeEpochs', config.freezeEpochs, '0 without pretrained weights (a random backbone is not worth freezing)');
  check(config.backboneLrScale > 0 && config.backboneLrScale <= 1, 'backboneLrScale', config.backboneLrScale, 'in (0, 1]');
  check(config.labelSmoothing >= 0 && config.labelSmoothing < 1, 'labelSmoothing', config.labelSmoothing, 'in [0, 1)');
  check(typeof config.flip === 'boolean', 'flip', config.flip, 'true or false');
  check(typeof config.randomResizedCrop === 'boolean', 'randomResizedCrop', config.randomResizedCrop, 'true or false');
  check(config.valFraction >= 0 && config.valFraction < 1, 'valFraction', config.valFraction, 'in [0, 1)');
  check(positiveInt(config.workers), 'workers', config.workers, 'a positive integer');
  if (isMnist(config.data)) mnistDigits(config.data);
  const info = getModelInfo(config.model);
  if (info.topInputSize !== undefined && config.imageSize !== info.topInputSize) {
    throw new UsageError(`\`imageSize\` must be ${info.topInputSize} for ${config.model}: its classifier takes only that size (got imageSize=${config.imageSize})`);
  }
  if (config.imageSize < info.minInputSize) {
    throw new UsageError(`\`imageSize\` must be at least ${info.minInputSize} for ${config.model} (got imageSize=${config.imageSize})`);
  }
  return config;
}

/**
 * The default input size: the model's one classifier size if it has one (VGG); for MNIST the
 * digits' 28 or the architecture's minimum if larger (32 for most: five stride-2 stages); for a
 * folder the model's reference resolution.
 */
export function defaultImageSize(model: string, data: string): number {
  const info = getModelInfo(model);
  if (info.topInputSize !== undefined) return info.topInputSize;
  return isMnist(data) ? Math.max(28, info.minInputSize) : info.inputSize;
}

/** `options` with every default filled in. */
export function resolveRunConfig(options: RunOptions): RunConfig {
  const config: RunConfig = {
    model: options.model,
    data: options.data,
    epochs: options.epochs ?? 5,
    batchSize: options.batchSize ?? 64,
    learningRate: options.learningRate ?? 1e-3,
    schedule: options.schedule ?? 'cosine',
    imageSize: options.imageSize ?? defaultImageSize(options.model, options.data),
    fit: options.fit ?? 'resize',
    channels: options.channels ?? (isMnist(options.data) ? 1 : 3),
    seed: options.seed ?? 0,
    shift: options.shift ?? 0,
    testFraction: options.testFraction ?? 0.2,
    trainPerClass: options.trainPerClass ?? null,
    testPerClass: options.testPerClass ?? null,
    numClasses: options.numClasses ?? null,
    widthMultiplier: options.widthMultiplier ?? null,
    groups: options.groups ?? null,
    dropRate: options.dropRate ?? null,
    pretrained: options.pretrained ?? null,
    freezeEpochs: options.freezeEpochs ?? 0,
    // Fine-tuning: the backbone learns ten times slower than the new classifier, and a tenth of the training images validate each epoch.
    backboneLrScale: options.backboneLrScale ?? (options.pretrained ? 0.1 : 1),
    labelSmoothing: options.labelSmoothing ?? 0,
    flip: options.flip ?? false,
    randomResizedCrop: options.randomResizedCrop ?? false,
    valFraction: options.valFraction ?? (options.pretrained ? 0.1 : 0),
    workers: 1,
  };
  config.workers = options.workers === 'auto' ? autoWorkers(config.batchSize) : (options.workers ?? 1);
  return checkRunConfig(config);
}

/**
 * On resume: the checkpoint's configuration, with the options given checked against it. Every
 * option must match what the run was started with, except `epochs`, which may be raised to train
 * longer (the learning-rate schedule then stretches over the new length).
 */
export function mergeResumeConfig(saved: RunConfig, options: RunOptions): RunConfig {
  for (const [key, value] of Object.entries(options) as [keyof RunConfig, unknown][]) {
    // 'auto' workers on resume: the number the run started with.
    if (value === undefined || key === 'epochs' || (key === 'workers' && value === 'auto')) continue;
    const before = saved[key];
    if (value !== before && !(key === 'data' && !isMnist(value as string) && !isMnist(before as string))) {
      throw new UsageError(`--resume: \`${key}\` differs from the checkpoint's (got ${key}=${JSON.stringify(value)}, the run was started with ${JSON.stringify(before)})`);
    }
  }
  // Checkpoints written before a field existed get its default.
  return checkRunConfig({ ...resolveRunConfig({ model: saved.model, data: saved.data }), ...saved, data: options.data, epochs: options.epochs ?? saved.epochs });
}
