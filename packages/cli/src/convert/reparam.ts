import * as tf from '@tensorflow/tfjs';
import { optimizeForInference } from '@netblocks/models';
import { directoryBytes, maxRelativeDifference } from '../demo/measure.js';
import { oneLine, UsageError } from '../errors.js';
import type { TrainBackend } from '../train/config.js';
import { initInferenceBackend } from '../inspect/backend.js';
import { countLayers } from '../inspect/models.js';
import { fixedInputShape, loadSavedModel, saveModelTo } from './saved-model.js';

/** The tolerance every netblocks whole-network parity check uses: `max |a - b| / max |b|`. */
export const REPARAM_TOLERANCE = 1e-4;

/** Options of `reparamSavedModel`. */
export interface ReparamOptions {
  /** Random images the outputs are compared on. Default 4. */
  batch?: number;
  /** Largest accepted `max |optimized - original| / max |original|`. Default 1e-4. */
  tolerance?: number;
  /** Default 'wasm'. */
  backend?: TrainBackend;
}

/** What `reparamSavedModel` did. */
export interface ReparamReport {
  inDir: string;
  outDir: string;
  inputShape: [number, number, number];
  layers: { before: number; after: number };
  params: { before: number; after: number };
  /** Bytes on disk of the saved model before and after (`after` is 0 when nothing was saved). */
  bytes: { before: number; after: number };
  maxRelativeDifference: number;
  tolerance: number;
  /** Whether the outputs agreed within `tolerance` (the model is saved only then). */
  passed: boolean;
}

/**
 * Loads the model saved in `inDir`, re-parameterizes it for inference (`optimizeForInference`:
 * RepVGG branches merged, BatchNorms folded, activations fused), checks its outputs on a batch of
 * random images against the original's, and, when they agree within `tolerance`, saves it to
 * `outDir` (atomically: the directory is replaced as a whole).
 */
export async function reparamSavedModel(inDir: string, outDir: string, options: ReparamOptions = {}): Promise<ReparamReport> {
  const tolerance = options.tolerance ?? REPARAM_TOLERANCE;
  await initInferenceBackend(options.backend ?? 'wasm');
  const original = await loadSavedModel(inDir);
  let optimized: tf.LayersModel | undefined;
  let x: tf.Tensor | undefined;
  try {
    const inputShape = fixedInputShape(original, inDir);
    try {
      optimized = optimizeForInference(original);
    } catch (error) {
      throw new UsageError(`${inDir}: cannot optimize the model: ${oneLine(error)}`);
    }
    x = tf.randomNormal([options.batch ?? 4, ...inputShape], 0, 1, 'float32', 0);
    const difference = maxRelativeDifference(optimized, original, x);
    const passed = difference <= tolerance;
    if (passed) await saveModelTo(optimized, outDir);
    return {
      inDir,
      outDir,
      inputShape,
      layers: { before: countLayers(original), after: countLayers(optimized) },
      params: { before: original.countParams(), after: optimized.countParams() },
      bytes: { before: await directoryBytes(inDir), after: passed ? await directoryBytes(outDir) : 0 },
      maxRelativeDifference: difference,
      tolerance,
      passed,
    };
  } finally {
    x?.dispose();
    optimized?.dispose();
    original.dispose();
  }
}
