import { loadModel } from '@netblocks/core/node';
import type { ImageDataset } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import type { FitMode } from '../data/resize.js';
import { UsageError } from '../errors.js';
import type { TrainBackend } from './config.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { initTrainingBackend } from './run.js';

/** Options of `evaluateSavedModel`. */
export interface EvaluateSavedOptions {
  data: string;
  /** How images meet the model's input size. Default 'resize'. */
  fit?: FitMode;
  testFraction?: number;
  testPerClass?: number;
  backend?: TrainBackend;
}

/**
 * Loads the model saved in `modelDir` (any netblocks model: `@netblocks/models/register` is
 * imported) and evaluates it on the held-out split of `data`, brought to the model's input shape.
 */
export async function evaluateSavedModel(modelDir: string, options: EvaluateSavedOptions): Promise<{ evaluation: Evaluation; dataset: ImageDataset; inputShape: number[] }> {
  await import('@netblocks/models/register');
  await initTrainingBackend(options.backend ?? 'wasm');
  let model;
  try {
    model = await loadModel(modelDir);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  try {
    const shape = model.inputs[0]?.shape ?? [];
    const [h, w, c] = [shape[1], shape[2], shape[3]];
    if (typeof h !== 'number' || typeof w !== 'number' || (c !== 1 && c !== 3)) {
      throw new UsageError(`${modelDir}: the model's input shape ${JSON.stringify(shape)} is not [batch, height, width, 1 or 3]`);
    }
    const dataset = loadDataset(options.data, {
      imageSize: [h, w],
      channels: c,
      fit: options.fit ?? 'resize',
      ...(options.testFraction === undefined ? {} : { testFraction: options.testFraction }),
      ...(options.testPerClass === undefined ? {} : { testPerClass: options.testPerClass }),
      // Only the test split is used: read one training image per class instead of fitting them all.
      trainPerClass: 1,
    });
    const units = model.outputs[0]?.shape[1];
    const evaluation = await evaluate(model, dataset.test, typeof units === 'number' ? units : dataset.classNames.length);
    return { evaluation, dataset, inputShape: [h, w, c] };
  } finally {
    model.dispose();
  }
}
