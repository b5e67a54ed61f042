import type * as tf from '@tensorflow/tfjs';
import { writeSafetensors, type SafetensorsTensorInput } from '@netblocks/core';
import { mapModel } from './mapping.js';
import { checkWeightSource, keyMapTo, type TorchWeightSource } from './source.js';

/** Options of `saveTorchWeights`. */
export interface SaveTorchWeightsOptions {
  /** Extra `__metadata__` strings (`format: 'pt'` is always written). Default none. */
  metadata?: Record<string, string>;
  /** Write the keys in this library's names (one `loadTorchWeights` accepts as `from`). Default the family's own. */
  to?: TorchWeightSource;
}

/**
 * The inverse of `loadTorchWeights`: the model's weights as a PyTorch state dict in safetensors
 * bytes, with the reference library's key names and layouts (F32), plus BatchNorm's
 * `num_batches_tracked` as I64 zeros so PyTorch's `load_state_dict(strict=True)` accepts it.
 * Throws when the model has a weighted layer no rule covers.
 */
export function saveTorchWeights(model: tf.LayersModel, options: SaveTorchWeightsOptions = {}): Uint8Array {
  const mapping = mapModel(model);
  if (mapping.unmapped.length > 0) {
    throw new Error(`saveTorchWeights('${model.name}'): no PyTorch mapping for these weights: ${mapping.unmapped.join(', ')}`);
  }
  const caller = `saveTorchWeights('${model.name}')`;
  checkWeightSource(caller, model.name, options.to);
  const keyMap = options.to === undefined ? undefined : keyMapTo(model.name, mapping, options.to);
  const keyOf = (key: string) => keyMap?.get(key) ?? key;
  const tensors = new Map<string, SafetensorsTensorInput>();
  for (const w of mapping.weights) {
    const values = w.variable.read().dataSync() as Float32Array;
    tensors.set(keyOf(w.torchKey), { dtype: 'F32', shape: w.torchShape, data: w.layout.toTorch(values, w.tfShape) });
  }
  for (const key of mapping.counters) tensors.set(keyOf(key), { dtype: 'I64', shape: [], data: new BigInt64Array(1) });
  return writeSafetensors(tensors, { ...options.metadata, format: 'pt' });
}
