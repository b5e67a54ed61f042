import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profile } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectModelRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { hasIdentityBranch, repvggBlock, resolveRepVGGBlockArgs } from '../src/repvgg-block.js';
import '../src/register.js';
import { blockModel, naiveRepVGGBlock, randomizeBatchNorms } from './helpers.js';

useBackend('cpu');

const tmp = mkdtempSync(join(tmpdir(), 'repvgg-block-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const names = (model: tf.LayersModel) => model.layers.map((l) => l.name);

/** A small SE-like gate from stock layers, to stand in for an attention module. */
const gate = (name: string, channels: number) => (x: tf.SymbolicTensor) => {
  const pooled = tf.layers.globalAveragePooling2d({ name: `${name}.pool` }).apply(x) as tf.SymbolicTensor;
  const weights = tf.layers.dense({ units: channels, activation: 'sigmoid', name: `${name}.fc` }).apply(pooled) as tf.SymbolicTensor;
  const reshaped = tf.layers.reshape({ targetShape: [1, 1, channels], name: `${name}.reshape` }).apply(weights) as tf.SymbolicTensor;
  return tf.layers.multiply({ name: `${name}.scale` }).apply([x, reshaped]) as tf.SymbolicTensor;
};

describe('repvggBlock', () => {
  it('names its layers as the official RepVGG code, with the identity branch only at stride 1 and Cin == Cout', () => {
    expect(names(blockModel({ name: 'stage1.1', inChannels: 8, outChannels: 8 }))).toEqual([
      'input', 'stage1.1.pad', 'stage1.1.rbr_dense.conv', 'stage1.1.rbr_1x1.conv', 'stage1.1.rbr_dense.bn', 'stage1.1.rbr_1x1.bn',
      'stage1.1.rbr_identity', 'stage1.1.add', 'stage1.1.nonlinearity',
    ]);
    expect(names(blockModel({ name: 'b', inChannels: 8, outChannels: 8, strides: 2, groups: 2 }))).toEqual([
      'input', 'b.rbr_dense.conv', 'b.rbr_1x1.conv', 'b.rbr_dense.bn', 'b.rbr_1x1.bn', 'b.add', 'b.nonlinearity',
    ]);
    expect(names(blockModel({ name: 'b', inChannels: 8, outChannels: 16, padding: 'same' }))).not.toContain('b.rbr_identity');
    expect(names(blockModel({ name: 'b', inChannels: 8, outChannels: 8, padding: 'same' }))).not.toContain('b.pad');
    expect(names(blockModel({ name: 'b', inChannels: 8, outChannels: 8, deploy: true }))).toEqual(['input', 'b.pad', 'b.rbr_reparam', 'b.nonlinearity']);
    expect(names(blockModel({ name: 'b', inChannels: 8, outChannels: 8, groups: 4, deploy: true }))).toEqual(['input', 'b.rbr_reparam', 'b.nonlinearity']);
    expect(hasIdentityBranch({ inChannels: 8, outChannels: 8 })).toBe(true);
    expect(hasIdentityBranch({ inChannels: 8, outChannels: 8, strides: 2 })).toBe(false);
    expect(hasIdentityBranch({ inChannels: 8, outChannels: 16 })).toBe(false);
    expect(hasIdentityBranch({ inChannels: 8, outChannels: 8, identity: false })).toBe(false);
  });

  it('uses Conv2D when ungrouped and GroupConv2D (on both convs) when grouped', () => {
    const plain = blockModel({ name: 'b', inChannels: 8, outChannels: 8 });
    expect(plain.getLayer('b.rbr_dense.conv').getClassName()).toBe('Conv2D');
    expect(plain.getLayer('b.rbr_dense.conv').getWeights().map((w) => w.shape)).toEqual([[3, 3, 8, 8]]);
    const grouped = blockModel({ name: 'b', inChannels: 8, outChannels: 16, groups: 4 });
    expect(grouped.getLayer('b.rbr_dense.conv').getClassName()).toBe('NetblocksGroupConv2D');
    expect(grouped.getLayer('b.rbr_dense.conv').getWeights().map((w) => w.shape)).toEqual([[3, 3, 2, 16]]);
    expect(grouped.getLayer('b.rbr_1x1.conv').getWeights().map((w) => w.shape)).toEqual([[1, 1, 2, 16]]);
    expect(grouped.getLayer('b.rbr_dense.bn').getConfig()).toMatchObject({ epsilon: 1e-5, momentum: 0.9 });
  });

  it('has the output shapes of a padded 3x3 conv at stride 1 and 2, in both forms', () => {
    for (const deploy of [false, true]) {
      expect(blockModel({ name: 'b', inChannels: 4, outChannels: 8, deploy }, 9).outputs[0]?.shape).toEqual([null, 9, 9, 8]);
      expect(blockModel({ name: 'b', inChannels: 4, outChannels: 8, strides: 2, deploy }, 9).outputs[0]?.shape).toEqual([null, 5, 5, 8]);
      expect(blockModel({ name: 'b', inChannels: 4, outChannels: 8, strides: 2, groups: 4, deploy }, 8).outputs[0]?.shape).toEqual([null, 4, 4, 8]);
    }
  });

  it('computes ReLU(BN(conv3x3 x) + BN(conv1x1 x) + BN(x)) with the moving statistics (naive reference)', () => {
    for (const [groups, strides, cin, cout] of [[1, 1, 8, 8], [2, 1, 8, 8], [4, 2, 8, 16], [1, 2, 4, 8]] as const) {
      const model = blockModel({ name: 'b', inChannels: cin, outChannels: cout, groups, strides });
      randomizeBatchNorms(model, 7);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 8, cin], 0, 1, 'float32', 9) as tf.Tensor4D;
        expectTensorsClose(model.predict(x) as tf.Tensor, naiveRepVGGBlock(model, 'b', x, groups, strides), 1e-5);
      });
    }
  });

  it('passes gradients to its input and to every weight of every branch', () => {
    const model = blockModel({ name: 'b', inChannels: 4, outChannels: 4, groups: 2 });
    randomizeBatchNorms(model, 3);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
      const dx = tf.grad((input: tf.Tensor) => tf.sum(model.apply(input) as tf.Tensor))(x);
      const naiveDx = tf.grad((input: tf.Tensor) => tf.sum(naiveRepVGGBlock(model, 'b', input as tf.Tensor4D, 2, 1)))(x);
      expectTensorsClose(dx, naiveDx, 1e-5);
      const { grads } = tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      const trainable = model.trainableWeights.map((w) => w.originalName);
      // Variable names carry a uniquifying `_N` suffix after the weight's original name.
      expect(Object.keys(grads).map((k) => k.replace(/_\d+$/, '')).sort()).toEqual([...trainable].sort());
      expect(trainable).toHaveLength(2 + 2 * 3); // two kernels, gamma and beta of three BNs
      for (const [name, g] of Object.entries(grads)) expect(tf.max(tf.abs(g)).dataSync()[0], name).toBeGreaterThan(0);
    });
  });

  it('applies the attention to the branch sum, before the ReLU, in both forms', () => {
    for (const deploy of [false, true]) {
      const model = blockModel({ name: 'b', inChannels: 4, outChannels: 4, attention: gate, deploy });
      const last = names(model).slice(-5);
      expect(last).toEqual(['b.se.pool', 'b.se.fc', 'b.se.reshape', 'b.se.scale', 'b.nonlinearity']);
      const sum = model.getLayer(deploy ? 'b.rbr_reparam' : 'b.add').output as tf.SymbolicTensor;
      expect(model.getLayer('b.se.scale').inboundNodes[0]?.inputTensors[0]).toBe(sum);
    }
  });

  it('counts parameters and MACs: (9 + 1) * Cin/g * Cout MACs per pixel in training form, 9 * Cin/g * Cout deployed', () => {
    const [cin, cout, groups, size] = [16, 16, 2, 10];
    const train = profile(blockModel({ name: 'b', inChannels: cin, outChannels: cout, groups }, size));
    expect(train.trainableParams).toBe((9 + 1) * (cin / groups) * cout + 2 * 2 * cout + 2 * cin);
    expect(train.totalParams).toBe(train.trainableParams + 2 * 2 * cout + 2 * cin);
    expect(train.macs).toBe(size * size * (9 + 1) * (cin / groups) * cout);
    expect(train.unknownLayers).toEqual([]);
    const deploy = profile(blockModel({ name: 'b', inChannels: cin, outChannels: cout, strides: 2, deploy: true }, size));
    expect(deploy.totalParams).toBe(9 * cin * cout + cout);
    expect(deploy.macs).toBe(5 * 5 * 9 * cin * cout);
  });

  it('saves and loads through saveModel/loadModel and the memory round trip, grouped and not', async () => {
    for (const groups of [1, 2]) {
      const model = blockModel({ name: 'b', inChannels: 4, outChannels: 4, groups }, 6);
      randomizeBatchNorms(model, 11);
      const x = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 12);
      await expectModelRoundTrip(model, x);
      const dir = join(tmp, `g${groups}`);
      await saveModel(model, dir);
      const loaded = await loadModel(dir);
      expect(names(loaded)).toEqual(names(model));
      tf.tidy(() => expectTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6));
      x.dispose();
    }
  });

  it('rejects bad arguments by name and value', () => {
    const base = { name: 'b', inChannels: 8, outChannels: 8 };
    expect(() => repvggBlock({ ...base, groups: 3 })).toThrow('`groups` must divide `inChannels` and `outChannels` (got inChannels=8, outChannels=8, groups=3)');
    expect(() => repvggBlock({ ...base, padding: 'same', strides: 2 })).toThrow("(got padding='same', strides=2)");
    expect(() => repvggBlock({ ...base, padding: 'valid' as 'same' })).toThrow('(got padding="valid")');
    expect(() => repvggBlock({ ...base, name: '' })).toThrow('(got name="")');
    expect(() => repvggBlock({ ...base, strides: 0 })).toThrow('(got strides=0)');
    expect(() => repvggBlock({ ...base, inChannels: 2.5 })).toThrow('(got inChannels=2.5)');
    expect(() => repvggBlock({ ...base, epsilon: 0 })).toThrow('(got epsilon=0)');
    expect(() => blockModel({ ...base, inChannels: 8 }, 4) && repvggBlock(base)(tf.input({ shape: [4, 4, 6] }))).toThrow(
      'the input must be NHWC with `inChannels` channels (got inChannels=8, input shape [null,4,4,6])',
    );
    expect(resolveRepVGGBlockArgs(base)).toEqual({ ...base, strides: 1, dilation: 1, groups: 1, identity: true, padding: 'torch', deploy: false, epsilon: 1e-5, momentum: 0.9, attention: null });
  });

  it('leaks no tensors when run', () => {
    const model = blockModel({ name: 'b', inChannels: 4, outChannels: 4, groups: 2 }, 6);
    const x = tf.ones([1, 6, 6, 4]);
    expectNoLeakedTensors(() => model.predict(x));
    x.dispose();
  });
});
