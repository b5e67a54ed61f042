// Node-only entry: PyTorch checkpoints from and to files. Browser bundles import `@netblocks/models` only.
import { readFile, writeFile } from 'node:fs/promises';
import type * as tf from '@tensorflow/tfjs';
import { loadTorchWeights, saveTorchWeights } from './weights/index.js';
import type { LoadTorchWeightsOptions, SaveTorchWeightsOptions, TorchWeightsReport } from './weights/index.js';

/** `loadTorchWeights` on the `.safetensors` file at `path`. */
export async function loadTorchWeightsFromFile(model: tf.LayersModel, path: string, options?: LoadTorchWeightsOptions): Promise<TorchWeightsReport> {
  const bytes = await readFile(path);
  return loadTorchWeights(model, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
}

/** Writes `saveTorchWeights(model, options)` to the file at `path` (replacing it). */
export async function saveTorchWeightsToFile(model: tf.LayersModel, path: string, options?: SaveTorchWeightsOptions): Promise<void> {
  await writeFile(path, saveTorchWeights(model, options));
}

export { createInferencePool } from './pool/index.js';
export type { BatchData, InferencePool, InferencePoolOptions, PoolBackend } from './pool/index.js';
