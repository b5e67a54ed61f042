import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@netblocks/core';
import { saveModel } from '@netblocks/core/node';
import { classifierVariables, closestModelNames, createModel, listModels, modelCard, normalizeInPlace, setModelCard, type Preprocessing } from '@netblocks/models';
import type { ImageDataset, ImageSet, SkippedImage } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import { isMnist } from '../data/mnist.js';
import { splitValidation } from '../data/validation.js';
import { UsageError } from '../errors.js';
import { ArrayAdam } from './array-adam.js';
import { CHECKPOINT_POINTER, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { mergeResumeConfig, resolveRunConfig, type RunConfig, type RunOptions, type TrainBackend } from './config.js';
import { startTrainWorkers, type TrainWorkers } from './data-parallel.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { trainEpochs, type BatchProgress, type EpochRecord } from './loop.js';
import { startingPoint } from './pretrained.js';

/** Options of `train`: the run (see `RunConfig` for defaults) and where and how it runs. */
export interface TrainOptions extends RunOptions {
  /** Directory for checkpoints, the final model (`model/`) and `eval.json`. */
  outDir: string;
  /** Continue from the last checkpoint in `outDir`. Default false. */
  resume?: boolean;
  /** TF.js backend. Default 'wasm' (with @netblocks/wasm-train's gradient kernels). */
  backend?: TrainBackend;
  onBatch?: (progress: BatchProgress) => void;
  onEpochEnd?: (record: EpochRecord) => void | Promise<void>;
  /** Messages (backend, skipped files, resume). Default none. */
  log?: (message: string) => void;
}

/** What `train` returns. The caller owns (and disposes) `model`. */
export interface TrainResult {
  config: RunConfig;
  model: tf.LayersModel;
  dataset: ImageDataset;
  /** Epochs trained in this call (after the checkpoint it resumed from, if any). */
  history: EpochRecord[];
  /** Epochs completed before this call (0 unless resumed). */
  resumedFromEpoch: number;
  evaluation: Evaluation;
  /** Training throughput of this call, over all its epochs. */
  trainImagesPerSecond: number;
  trainSeconds: number;
  modelDir: string;
  evalFile: string;
  skipped: SkippedImage[];
}

/** The file `train` writes its final evaluation to. */
export const EVAL_FILE = 'eval.json';
/** Where a run with a validation split keeps the model of its best epoch. */
export const BEST_DIR = 'best';

/** Sets up `backend` for training: on wasm, the gradient kernels it lacks (@netblocks/wasm-train). */
export async function initTrainingBackend(backend: TrainBackend, log: (message: string) => void = () => {}): Promise<void> {
  if (backend === 'wasm') await import('@netblocks/wasm-train/register');
  await initBackend(backend, { log });
}

/** The registered model `name`, or a usage error that suggests the closest names. */
export function checkModelName(name: string): void {
  if (!listModels().includes(name)) throw new UsageError(`unknown model ${JSON.stringify(name)}; did you mean ${closestModelNames(name).join(', ')}?`);
}

/** The model options a run's configuration gives. */
function modelOptionsOf(config: RunConfig) {
  return {
    inputShape: [config.imageSize, config.imageSize, config.channels] as [number, number, number],
    ...(config.widthMultiplier === null ? {} : { widthMultiplier: config.widthMultiplier }),
    ...(config.groups === null ? {} : { groups: config.groups }),
    ...(config.dropRate === null ? {} : { dropRate: config.dropRate }),
  };
}

function buildModel(config: RunConfig, numClasses: number): tf.LayersModel {
  try {
    return createModel(config.model, { numClasses, ...modelOptionsOf(config) });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * What `classify` needs to prepare an image as this run did: the data's fit at the input size,
 * then the starting weights' normalization (none, for [0, 1] pixels).
 */
function runPreprocessing(config: RunConfig, normalization: Preprocessing | null): Preprocessing {
  return {
    mean: normalization?.mean ?? [0, 0, 0],
    std: normalization?.std ?? [1, 1, 1],
    inputRange: normalization?.inputRange ?? [0, 1],
    channelOrder: normalization?.channelOrder ?? 'rgb',
    crop: { resize: config.imageSize, size: config.imageSize, interpolation: 'bilinear' },
    fit: config.fit,
    source: normalization ? `netblocks train (${config.fit}), normalized as ${normalization.source}` : `netblocks train (${config.fit})`,
  };
}

/** Normalizes every image of `set` in place as `recipe` says (pixels in [0, 1] to the network's input). */
function normalizeSet(set: ImageSet, recipe: Preprocessing): void {
  const [height, width, channels] = set.shape;
  const size = height * width * channels;
  for (let i = 0; i < set.labels.length; i++) normalizeInPlace({ data: set.images.subarray(i * size, (i + 1) * size), height, width, channels }, recipe);
}

/** The class names of a run's classifier: the data's, then `class_<i>` for extra outputs. */
function classLabels(classNames: string[], numClasses: number): string[] {
  return Array.from({ length: numClasses }, (_, i) => classNames[i] ?? `class_${i}`);
}

async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await fs.rename(temp, file);
}

async function isDirectory(dir: string): Promise<boolean> {
  return fs.stat(dir).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

async function hasCheckpoint(outDir: string): Promise<boolean> {
  return fs.access(path.join(outDir, CHECKPOINT_POINTER)).then(
    () => true,
    () => false,
  );
}

/**
 * Trains a registered model on `mnist` or an image folder: Adam with a learning-rate schedule,
 * softmax cross-entropy, a checkpoint after every epoch (atomic; `resume` continues from the last
 * one and ends where an uninterrupted run ends), then an evaluation on the held-out split written
 * to `eval.json` and the final model saved to `model/` in `outDir`.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? (() => {});
  const { outDir, resume: _r, backend: _b, onBatch, onEpochEnd, log: _l, ...runOptions } = options;
  // Bad input is reported before anything slow starts (backend, data).
  checkModelName(options.model);
  const fresh = options.resume ? null : resolveRunConfig(runOptions);
  if (!isMnist(options.data) && !(await isDirectory(options.data))) {
    throw new UsageError(`--data: ${options.data} is not a directory (expected 'mnist' or a folder with one sub-folder of images per class)`);
  }
  if (options.resume && !(await hasCheckpoint(outDir))) throw new UsageError(`--resume: ${outDir} has no checkpoint to resume from (no ${CHECKPOINT_POINTER})`);
  if (!options.resume && (await hasCheckpoint(outDir))) {
    throw new UsageError(`${outDir} already holds a training run's checkpoint: pass --resume to continue it, or choose another output directory`);
  }
  await fs.mkdir(outDir, { recursive: true });
  await import('@netblocks/models/register');
  await initTrainingBackend(options.backend ?? 'wasm', log);
  const checkpoint = options.resume ? await loadCheckpoint(outDir) : null;
  let config: RunConfig;
  try {
    config = checkpoint ? mergeResumeConfig(checkpoint.state.config as unknown as RunConfig, runOptions) : (fresh as RunConfig);
  } catch (error) {
    checkpoint?.model.dispose();
    if (checkpoint) tf.dispose(checkpoint.optimizerWeights.map((w) => w.tensor));
    throw error;
  }
  const dataset = loadDataset(config.data, {
    imageSize: [config.imageSize, config.imageSize],
    fit: config.fit,
    channels: config.channels,
    testFraction: config.testFraction,
    ...(config.trainPerClass === null ? {} : { trainPerClass: config.trainPerClass }),
    ...(config.testPerClass === null ? {} : { testPerClass: config.testPerClass }),
    onSkip: (s) => log(`skipped ${s.path}: ${s.reason}`),
  });
  const numClasses = config.numClasses ?? dataset.classNames.length;
  if (numClasses < dataset.classNames.length) {
    throw new UsageError(`\`numClasses\` must be at least the data's ${dataset.classNames.length} classes (got numClasses=${numClasses})`);
  }
  let model: tf.LayersModel;
  if (checkpoint) {
    model = checkpoint.model;
  } else if (config.pretrained !== null) {
    const start = await startingPoint(config.model, config.pretrained, numClasses, () => buildModel(config, numClasses), modelOptionsOf(config));
    log(`fine-tuning ${config.model} from ${start.source}`);
    model = start.model;
    setModelCard(model, { labels: classLabels(dataset.classNames, numClasses), preprocessing: runPreprocessing(config, start.normalization) });
  } else {
    model = buildModel(config, numClasses);
    setModelCard(model, { labels: classLabels(dataset.classNames, numClasses), preprocessing: runPreprocessing(config, null) });
  }
  // The data as the network takes it: the starting weights' normalization (kept in the model's card, so also on resume).
  const recipe = modelCard(model).preprocessing;
  if (recipe) for (const set of [dataset.train, dataset.test]) normalizeSet(set, recipe);
  const { train: trainSet, validation } = config.valFraction > 0 ? splitValidation(dataset.train, config.valFraction) : { train: dataset.train, validation: null };
  const optimizer = new ArrayAdam(config.learningRate);
  // This call's epochs, as they finish (each checkpoint records the whole history).
  const history: EpochRecord[] = [];
  let workers: TrainWorkers | null = null;
  try {
    if (checkpoint) {
      const expected = 1 + 2 * model.trainableWeights.length;
      if (checkpoint.optimizerWeights.length !== expected) {
        throw new UsageError(`--resume: the checkpoint in ${checkpoint.dir} holds ${checkpoint.optimizerWeights.length} optimizer slots, the model needs ${expected}`);
      }
      await optimizer.setWeights(checkpoint.optimizerWeights);
      if (checkpoint.adamProducts) optimizer.products = checkpoint.adamProducts;
      log(`resuming ${config.model} after epoch ${checkpoint.state.epoch} of ${config.epochs}`);
    }
    const start = checkpoint ? { epoch: checkpoint.state.epoch, step: checkpoint.state.step } : { epoch: 0, step: 0 };
    const previous = (checkpoint?.state.history ?? []) as EpochRecord[];
    const bestDir = path.join(outDir, BEST_DIR);
    let best = Math.max(-1, ...previous.map((r) => r.valAccuracy ?? -1));
    // Replicas of the model as it starts (or resumes); its optimizer stays on this thread.
    if (config.workers > 1) workers = await startTrainWorkers(model, config.workers, { backend: options.backend ?? 'wasm' });
    await trainEpochs(model, optimizer, trainSet, numClasses, start, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      schedule: config.schedule,
      seed: config.seed,
      shift: config.shift,
      flip: config.flip,
      randomResizedCrop: config.randomResizedCrop,
      labelSmoothing: config.labelSmoothing,
      freezeEpochs: config.freezeEpochs,
      backboneLrScale: config.backboneLrScale,
      ...(config.pretrained !== null ? { headVariables: classifierVariables(model) } : {}),
      ...(workers ? { shardComputer: workers } : {}),
      ...(onBatch ? { onBatch } : {}),
      onEpochEnd: async (record, position) => {
        if (validation) {
          const v = await evaluate(model, validation, numClasses);
          Object.assign(record, { valAccuracy: v.accuracy, valLoss: v.loss });
          // The best epoch's model, kept before the checkpoint names the epoch (a crash in between re-saves it on resume).
          if (v.accuracy > best) {
            best = v.accuracy;
            await saveModel(model, bestDir);
          }
          log(`epoch ${record.epoch}: validation accuracy ${(100 * v.accuracy).toFixed(2)}%${record.frozen ? ' (backbone frozen)' : ''}`);
        }
        history.push(record);
        await saveCheckpoint(outDir, model, optimizer, { ...position, config: { ...config }, history: [...previous, ...history] });
        await onEpochEnd?.(record);
      },
    });
    await workers?.close();
    workers = null;
    const evaluation = await evaluate(model, dataset.test, numClasses);
    const modelDir = path.join(outDir, 'model');
    await saveModel(model, modelDir);
    const trainSeconds = history.reduce((s, r) => s + r.seconds, 0);
    const trainImages = history.reduce((s, r) => s + r.images, 0);
    const evalFile = path.join(outDir, EVAL_FILE);
    const trainImagesPerSecond = trainSeconds > 0 ? trainImages / trainSeconds : 0;
    await writeJsonAtomically(evalFile, {
      model: config.model,
      data: dataset.source,
      classNames: dataset.classNames,
      inputShape: [config.imageSize, config.imageSize, config.channels],
      epochs: config.epochs,
      trainImages: trainSet.labels.length,
      ...(validation ? { validationImages: validation.labels.length, bestValAccuracy: best, bestModelDir: bestDir } : {}),
      ...evaluation,
      trainImagesPerSecond,
      history: [...previous, ...history],
      skipped: dataset.skipped,
      config,
    });
    return { config, model, dataset, history, resumedFromEpoch: start.epoch, evaluation, trainImagesPerSecond, trainSeconds, modelDir, evalFile, skipped: dataset.skipped };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    await workers?.close();
    optimizer.dispose();
    if (checkpoint) tf.dispose(checkpoint.optimizerWeights.map((w) => w.tensor));
  }
}
