// Shared by the PyTorch parity tests: fixtures, reduced variants built from a family's own builder,
// the strict-load comparison and the bit-exact save check.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors } from '@netblocks/core';
import { expect } from 'vitest';
import { maxRelativeDifference } from '@netblocks/test-utils';
import { buildModel, type NetblocksModel } from '../../src/build.js';
import type { FamilyDefinition, ModelOptions } from '../../src/types.js';
import { loadTorchWeights, saveTorchWeights } from '../../src/index.js';

/** A file of test/fixtures, as the Node Buffer readFileSync gives (as users will pass it). */
export const fixture = (file: string): Buffer => readFileSync(fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)));

/** A variant outside the registry (a reduced config) built with the family's own builder at `size` px. */
export function buildVariant<C>(name: string, family: FamilyDefinition<C>, config: C, size: number, options: ModelOptions): NetblocksModel {
  return buildModel(name, family, { config, inputSize: size, reference: { totalParams: 0, trainableParams: 0 } }, { inputShape: [size, size, 3], ...options });
}

/** Loads strictly (nothing missing, unexpected or mismatched) and returns `model`'s max relative difference to `expected`. */
export function loadAndCompare(model: tf.LayersModel, checkpoint: Uint8Array, input: tf.Tensor, expected: tf.Tensor): number {
  const report = loadTorchWeights(model, checkpoint);
  expect(report.missing).toEqual([]);
  expect(report.unexpected).toEqual([]);
  expect(report.mismatched).toEqual([]);
  expect(report.loaded.length).toBe(model.weights.length);
  const output = model.predict(input) as tf.Tensor;
  expect(output.shape).toEqual(expected.shape);
  const difference = maxRelativeDifference(output, expected);
  output.dispose();
  return difference;
}

/** Strict load of fixture `name`, PyTorch's outputs from `name.io` within 1e-4 (max|diff| / max|ref|). */
export function expectFixtureParity(name: string, model: tf.LayersModel): void {
  const io = readSafetensors(fixture(`${name}.io.safetensors`));
  const [input, expected] = [io.toTensor('input'), io.toTensor('output')];
  const difference = loadAndCompare(model, fixture(`${name}.safetensors`), input, expected);
  console.info(`${name}: max|diff|/max|ref| vs PyTorch = ${difference.toExponential(2)}`);
  expect(difference).toBeLessThan(1e-4);
  tf.dispose([input, expected]);
}

/** `saveTorchWeights(model)` holds exactly the checkpoint's keys, each bit for bit (num_batches_tracked as I64 zeros). */
export function expectSavedBitExact(model: tf.LayersModel, checkpoint: Uint8Array): void {
  const original = readSafetensors(checkpoint);
  const saved = readSafetensors(saveTorchWeights(model));
  expect(saved.names().sort()).toEqual(original.names().sort());
  for (const key of original.names()) {
    if (key.endsWith('.num_batches_tracked')) {
      expect(saved.get(key)).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([0n]) });
      continue;
    }
    expect(saved.info(key), key).toEqual(original.info(key));
    expect(Buffer.from(saved.rawBytes(key)).equals(Buffer.from(original.rawBytes(key))), `${key} differs`).toBe(true);
  }
}
