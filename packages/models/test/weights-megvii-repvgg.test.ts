// Parity with the two references that are not pip packages: megvii's ShuffleNet V1 and the official
// RepVGG (training and deploy form). Fixtures written by tools/fixtures/make_megvii_repvgg_fixtures.py
// (faithful re-statements of megvii's and DingXiaoH's modules, random weights and BatchNorm
// statistics, eval mode) load into the same reduced architectures built here, give PyTorch's
// outputs, and save back bit-exactly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors } from '@netblocks/core';
import { reparameterize } from '@netblocks/repvgg-reparam';
import { afterAll, describe, expect, it } from 'vitest';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { buildModel, type NetblocksModel } from '../src/build.js';
import { repvgg, type RepVGGConfig } from '../src/families/repvgg.js';
import { shuffleNetV1 } from '../src/families/shufflenet-v1.js';
import type { FamilyDefinition, ModelOptions } from '../src/types.js';
import { loadTorchWeights, saveTorchWeights } from '../src/index.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());

// A copy in a plain Uint8Array (core reads a Node Buffer wrongly: its slice() is a view).
const fixture = (file: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url))));
const noReference = { totalParams: 0, trainableParams: 0 };

function build<C>(name: string, family: FamilyDefinition<C>, config: C, size: number, options: ModelOptions): NetblocksModel {
  return buildModel(name, family, { config, inputSize: size, reference: noReference }, { inputShape: [size, size, 3], ...options });
}

/** Loads strictly (nothing missing, unexpected or mismatched) and returns `model`'s max relative difference to `expected`. */
function loadAndCompare(model: tf.LayersModel, checkpoint: Uint8Array, input: tf.Tensor, expected: tf.Tensor): number {
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

/** `saveTorchWeights(model)` holds exactly the checkpoint's keys, each bit for bit (num_batches_tracked as I64 zeros). */
function expectSavedBitExact(model: tf.LayersModel, checkpoint: Uint8Array): void {
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

describe('megvii ShuffleNet V1 (g3, stem 12, stages 48/96/192, 56 px)', () => {
  const name = 'megvii_shufflenet_v1_g3_tiny';
  const checkpoint = fixture(`${name}.safetensors`);
  const io = readSafetensors(fixture(`${name}.io.safetensors`));
  const make = () => build(name, shuffleNetV1, { groups: 3, stem: 12, stages: [48, 96, 192] }, 56, { numClasses: 10 });

  it("loads megvii's state dict strictly and gives its logits (max|diff|/max|ref| < 1e-4)", () => {
    const [input, expected] = [io.toTensor('input'), io.toTensor('output')];
    const difference = loadAndCompare(make(), checkpoint, input, expected);
    console.info(`${name}: max|diff|/max|ref| vs PyTorch = ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-4);
    tf.dispose([input, expected]);
  });

  it('saves back the same state dict bit for bit', () => {
    const model = make();
    loadTorchWeights(model, checkpoint);
    expectSavedBitExact(model, checkpoint);
  });
});

// Official RepVGG(num_blocks=[2, 2, 2, 1], width_multiplier=[0.125, 0.125, 0.125, 0.0625]) at 40 px:
// widths 8, 8, 16, 32, 32; g2 groups the official optional_groupwise_layers 2, 4, 6 (identity blocks).
const REPVGG_CASES: { name: string; groups: RepVGGConfig['groups'] }[] = [
  { name: 'repvgg_tiny', groups: 1 },
  { name: 'repvgg_g2_tiny', groups: 2 },
];

describe.each(REPVGG_CASES)('official RepVGG $name', ({ name, groups }) => {
  const train = fixture(`${name}.safetensors`);
  const deploy = fixture(`${name}.deploy.safetensors`);
  const io = readSafetensors(fixture(`${name}.io.safetensors`));
  const make = () => build(name, repvgg, { blocks: [1, 2, 2, 2, 1], a: 0.125, b: 0.0625, groups }, 40, { numClasses: 10 });
  const trained = make();
  loadTorchWeights(trained, train);
  const deployModel = reparameterize(trained);

  it('loads the training-form state dict strictly and gives its (eval) logits', () => {
    const [input, expected] = [io.toTensor('input'), io.toTensor('output')];
    const difference = loadAndCompare(make(), train, input, expected);
    console.info(`${name} (train): max|diff|/max|ref| vs PyTorch = ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-4);
    tf.dispose([input, expected]);
  });

  it("has the official deploy keys: `<block>.rbr_reparam.weight/bias` and `linear`", () => {
    const keys = readSafetensors(saveTorchWeights(deployModel)).names().sort();
    expect(keys).toEqual(readSafetensors(deploy).names().sort());
    expect(keys).toContain('stage1.0.rbr_reparam.weight');
    expect(keys).toContain('stage0.rbr_reparam.bias');
  });

  it("fuses the training form as repvgg_model_convert does: reparameterize's weights are the deploy checkpoint's", () => {
    const [input, expected] = [io.toTensor('input'), io.toTensor('deploy_output')];
    const fused = readSafetensors(saveTorchWeights(deployModel));
    const official = readSafetensors(deploy);
    for (const key of official.names()) {
      const [ours, theirs] = [fused.toTensor(key), official.toTensor(key)];
      expect(maxRelativeDifference(ours, theirs), key).toBeLessThan(1e-5);
      tf.dispose([ours, theirs]);
    }
    const output = deployModel.predict(input) as tf.Tensor;
    expect(maxRelativeDifference(output, expected)).toBeLessThan(1e-4);
    tf.dispose([input, expected, output]);
  });

  it('loads the deploy-form state dict strictly into reparameterize(trainModel) and gives its logits', () => {
    const [input, expected] = [io.toTensor('input'), io.toTensor('deploy_output')];
    const target = reparameterize(make());
    const difference = loadAndCompare(target, deploy, input, expected);
    console.info(`${name} (deploy): max|diff|/max|ref| vs PyTorch = ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-4);
    tf.dispose([input, expected]);
  });

  it('saves both forms back bit for bit', () => {
    expectSavedBitExact(trained, train);
    const target = reparameterize(make());
    loadTorchWeights(target, deploy);
    expectSavedBitExact(target, deploy);
  });
});
