// Parity with the two references that are not pip packages: megvii's ShuffleNet V1 and the official
// RepVGG (training and deploy form). Fixtures written by tools/fixtures/make_megvii_repvgg_fixtures.py
// (faithful re-statements of megvii's and DingXiaoH's modules, random weights and BatchNorm
// statistics, eval mode) load into the same reduced architectures built here, give PyTorch's
// outputs, and save back bit-exactly.
import * as tf from '@tensorflow/tfjs';
import { readSafetensors } from '@netblocks/core';
import { reparameterize } from '@netblocks/repvgg-reparam';
import { afterAll, describe, expect, it } from 'vitest';
import { repvgg, type RepVGGConfig } from '../src/families/repvgg.js';
import { shuffleNetV1 } from '../src/families/shufflenet-v1.js';
import { loadTorchWeights, saveTorchWeights } from '../src/index.js';

import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { buildVariant, expectSavedBitExact, fixture, loadAndCompare } from './helpers/torch-parity.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());

describe('megvii ShuffleNet V1 (g3, stem 12, stages 48/96/192, 56 px)', () => {
  const name = 'megvii_shufflenet_v1_g3_tiny';
  const checkpoint = fixture(`${name}.safetensors`);
  const io = readSafetensors(fixture(`${name}.io.safetensors`));
  const make = () => buildVariant(name, shuffleNetV1, { groups: 3, stem: 12, stages: [48, 96, 192] }, 56, { numClasses: 10 });

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
  const make = () => buildVariant(name, repvgg, { blocks: [1, 2, 2, 2, 1], a: 0.125, b: 0.0625, groups }, 40, { numClasses: 10 });
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
