import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convBnAct } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { groupConvBnAct } from '@netblocks/group-conv';
import { expectNoLeakedTensors, expectTensorsClose, maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { convBatchNormRule } from '../src/conv-bn-rule.js';
import type { ModelGraph } from '@netblocks/core';
import { repvggBlock } from '../src/repvgg-block.js';
import { findReparameterizable, reparameterizeWith } from '../src/reparameterizable.js';
import { foldConvBatchNorm, reparameterize } from '../src/reparameterize.js';
import { repvggRule } from '../src/repvgg-rule.js';
import '../src/register.js';
import { blockModel, naiveRepVGGBlock, randomizeBatchNorms } from './helpers.js';

useBackend('cpu');

const tmp = mkdtempSync(join(tmpdir(), 'repvgg-reparam-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const names = (model: tf.LayersModel) => model.layers.map((l) => l.name);
const classNames = (model: tf.LayersModel) => model.layers.map((l) => l.getClassName());

/** Predictions of both models on the same input, compared as max|diff| / max|ref|. */
function relativeDifference(actual: tf.LayersModel, expected: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => maxRelativeDifference(actual.predict(x) as tf.Tensor, expected.predict(x) as tf.Tensor));
}

/** stem (conv-BN-ReLU) -> 3 RepVGG blocks (one strided, two with identity, one grouped with a gate) -> GAP -> Dense. */
function smallNet(): tf.LayersModel {
  const input = tf.input({ shape: [12, 12, 3], name: 'input' });
  let x = convBnAct({ name: 'stem', filters: 8, kernelSize: 3, strides: 1 })(input);
  x = repvggBlock({ name: 'stage1.0', inChannels: 8, outChannels: 16, strides: 2 })(x);
  x = repvggBlock({ name: 'stage1.1', inChannels: 16, outChannels: 16, groups: 2 })(x);
  x = repvggBlock({ name: 'stage1.2', inChannels: 16, outChannels: 16, groups: 4, attention: (name, channels) => (t) => {
    const pooled = tf.layers.globalAveragePooling2d({ name: `${name}.pool` }).apply(t) as tf.SymbolicTensor;
    const w = tf.layers.dense({ units: channels, activation: 'sigmoid', name: `${name}.fc` }).apply(pooled) as tf.SymbolicTensor;
    const w4 = tf.layers.reshape({ targetShape: [1, 1, channels], name: `${name}.reshape` }).apply(w) as tf.SymbolicTensor;
    return tf.layers.multiply({ name: `${name}.scale` }).apply([t, w4]) as tf.SymbolicTensor;
  } })(x);
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, name: 'linear' }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: 'small' });
  randomizeBatchNorms(model, 21);
  return model;
}

describe('reparameterize: one RepVGG block', () => {
  // [groups, strides, inChannels, outChannels]: with the identity (stride 1, Cin == Cout), without
  // it because the channels change, and without it because of the stride.
  const cases = [1, 2, 4].flatMap((g) => [[g, 1, 8, 8], [g, 1, 8, 16], [g, 2, 8, 8], [g, 2, 8, 16]] as const);
  for (const [groups, strides, cin, cout] of cases) {
    it(`groups ${groups}, stride ${strides}, ${cin} -> ${cout}${cin === cout && strides === 1 ? ' (identity)' : ''}: one 3x3 conv with bias, same output`, () => {
      const train = blockModel({ name: 'b', inChannels: cin, outChannels: cout, groups, strides });
      randomizeBatchNorms(train, groups * 10 + strides);
      const deploy = reparameterize(train);
      expect(names(deploy)).toEqual(names(blockModel({ name: 'b', inChannels: cin, outChannels: cout, groups, strides, deploy: true })));
      expect(deploy.getLayer('b.rbr_reparam').getClassName()).toBe(groups === 1 ? 'Conv2D' : 'NetblocksGroupConv2D');
      expect(deploy.countParams()).toBe(9 * (cin / groups) * cout + cout);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 8, cin], 0, 1, 'float32', 5) as tf.Tensor4D;
        const expected = naiveRepVGGBlock(train, 'b', x, groups, strides);
        expectTensorsClose(deploy.predict(x) as tf.Tensor, expected, 1e-4);
        expectTensorsClose(train.predict(x) as tf.Tensor, expected, 1e-4);
      });
    });
  }

  it("gives weights that load by name into the block built with deploy: true (the official deploy layout)", () => {
    const train = blockModel({ name: 'b', inChannels: 8, outChannels: 8, groups: 2 });
    randomizeBatchNorms(train, 4);
    const fused = reparameterize(train);
    const built = blockModel({ name: 'b', inChannels: 8, outChannels: 8, groups: 2, deploy: true });
    built.getLayer('b.rbr_reparam').setWeights(fused.getLayer('b.rbr_reparam').getWeights());
    tf.tidy(() => {
      const x = tf.randomNormal([1, 8, 8, 8], 0, 1, 'float32', 2);
      expectTensorsClose(built.predict(x) as tf.Tensor, train.predict(x) as tf.Tensor, 1e-4);
    });
  });

  it('also fuses the block built with padding "same"', () => {
    const train = blockModel({ name: 'b', inChannels: 4, outChannels: 4, padding: 'same' });
    randomizeBatchNorms(train, 8);
    const deploy = reparameterize(train);
    expect(classNames(deploy)).toEqual(['InputLayer', 'Conv2D', 'Activation']);
    const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 9);
    expect(relativeDifference(deploy, train, x)).toBeLessThan(1e-4);
    x.dispose();
  });
});

describe('reparameterize: a network', () => {
  it('fuses every RepVGG block, keeps the rest with its weights, and computes the same function', () => {
    const train = smallNet();
    expect(findReparameterizable(train, [repvggRule]).map((f) => f.kind)).toEqual(['repvgg', 'repvgg', 'repvgg']);
    const deploy = reparameterize(train);
    expect(names(deploy)).toEqual([
      'input', 'stem.pad', 'stem.0', 'stem.1', 'stem.2', 'stage1.0.pad', 'stage1.0.rbr_reparam', 'stage1.0.nonlinearity',
      'stage1.1.rbr_reparam', 'stage1.1.nonlinearity', 'stage1.2.rbr_reparam', 'stage1.2.se.pool', 'stage1.2.se.fc',
      'stage1.2.se.reshape', 'stage1.2.se.scale', 'stage1.2.nonlinearity', 'gap', 'linear',
    ]);
    for (const name of ['stem.0', 'stem.1', 'stage1.2.se.fc', 'linear']) {
      expectTensorsClose(deploy.getLayer(name).getWeights()[0] as tf.Tensor, train.getLayer(name).getWeights()[0] as tf.Tensor, 0);
    }
    const x = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 1);
    expect(relativeDifference(deploy, train, x)).toBeLessThan(1e-4);
    x.dispose();
  });

  it('leaves the original model untouched and independent of the new one', () => {
    const train = smallNet();
    const x = tf.randomNormal([1, 12, 12, 3], 0, 1, 'float32', 2);
    const before = train.predict(x) as tf.Tensor;
    const weightsBefore = train.countParams();
    const deploy = reparameterize(train);
    tf.tidy(() => deploy.getLayer('linear').setWeights(deploy.getLayer('linear').getWeights().map((w) => tf.zerosLike(w))));
    deploy.dispose();
    tf.tidy(() => expectTensorsClose(train.predict(x) as tf.Tensor, before, 0));
    expect(train.countParams()).toBe(weightsBefore);
    expect(names(train)).toContain('stage1.1.rbr_identity');
    tf.dispose([x, before]);
  });

  it('has the parameters of the deploy form: one 3x3 kernel and bias per block, no BN', () => {
    const deploy = reparameterize(smallNet());
    const stem = 3 * 3 * 3 * 8 + 4 * 8;
    const blocks = 9 * 8 * 16 + 16 + (9 * 8 * 16 + 16) + (9 * 4 * 16 + 16);
    const gateParams = 16 * 16 + 16;
    expect(deploy.countParams()).toBe(stem + blocks + gateParams + 16 * 10 + 10);
  });

  it('saves and loads (saveModel/loadModel) and round-trips', async () => {
    const deploy = reparameterize(smallNet());
    await saveModel(deploy, join(tmp, 'deploy'));
    const loaded = await loadModel(join(tmp, 'deploy'));
    expect(names(loaded)).toEqual(names(deploy));
    expect(loaded.getLayer('stage1.1.rbr_reparam').getClassName()).toBe('NetblocksGroupConv2D');
    const x = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 3);
    expect(relativeDifference(loaded, deploy, x)).toBeLessThan(1e-6);
    // And reparameterizing the loaded training form gives the same deploy model.
    const train = smallNet();
    await saveModel(train, join(tmp, 'train'));
    const again = reparameterize(await loadModel(join(tmp, 'train')));
    expect(relativeDifference(again, train, x)).toBeLessThan(1e-4);
    x.dispose();
  });

  it('leaks no tensors: the new model owns exactly its weights', () => {
    const train = smallNet();
    expectNoLeakedTensors(() => {
      const deploy = reparameterize(train);
      const result = deploy.dispose();
      expect(result.numDisposedVariables).toBe(deploy.weights.length);
    });
    expectNoLeakedTensors(() => foldConvBatchNorm(train).dispose());
    train.dispose();
  });

  it('fuses blocks inside a nested model', () => {
    const inner = blockModel({ name: 'b', inChannels: 4, outChannels: 4 }, 6);
    randomizeBatchNorms(inner, 5);
    const input = tf.input({ shape: [6, 6, 4] });
    const outer = tf.model({ inputs: input, outputs: tf.layers.flatten({ name: 'flat' }).apply(inner.apply(input)) as tf.SymbolicTensor });
    const deploy = reparameterize(outer);
    const nested = deploy.layers.find((l) => l instanceof tf.LayersModel) as tf.LayersModel;
    expect(names(nested)).toEqual(['input', 'b.pad', 'b.rbr_reparam', 'b.nonlinearity']);
    const x = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 6);
    expect(relativeDifference(deploy, outer, x)).toBeLessThan(1e-4);
    x.dispose();
  });

  it('leaves alone what is not a RepVGG block: branches of different inputs, a BN output used twice', () => {
    const input = tf.input({ shape: [6, 6, 4] });
    const a = tf.layers.batchNormalization({ name: 'a.bn' }).apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'a.conv' }).apply(input)) as tf.SymbolicTensor;
    const h = tf.layers.reLU({ name: 'h' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.batchNormalization({ name: 'b.bn' }).apply(h) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const c = tf.layers.batchNormalization({ name: 'c.bn' }).apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c.conv' }).apply(input)) as tf.SymbolicTensor;
    const d = tf.layers.batchNormalization({ name: 'd.bn' }).apply(input) as tf.SymbolicTensor;
    const sum2 = tf.layers.add({ name: 'sum2' }).apply([c, d]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [sum, sum2, c] });
    expect(findReparameterizable(model, [repvggRule])).toEqual([]);
    expect(names(reparameterize(model))).toEqual(names(model));
  });

  it('throws when the fused layer would take the name of a layer that stays, naming it', () => {
    const input = tf.input({ shape: [6, 6, 4] });
    const y = repvggBlock({ name: 'b', inChannels: 4, outChannels: 4 })(input);
    const model = tf.model({ inputs: input, outputs: tf.layers.reLU({ name: 'b.rbr_reparam' }).apply(y) as tf.SymbolicTensor });
    expect(() => reparameterize(model)).toThrow('(got name="b.rbr_reparam")');
  });
});

describe('foldConvBatchNorm and the rule registry', () => {
  it('folds conv-BN pairs (Conv2D, DepthwiseConv2D, GroupConv2D) into convs with bias under the conv names', () => {
    const input = tf.input({ shape: [8, 8, 8], name: 'input' });
    let x = convBnAct({ name: 'conv', filters: 8, kernelSize: 3, strides: 2 })(input);
    x = convBnAct({ name: 'dw', depthwise: true, kernelSize: 3, activation: null })(x);
    x = groupConvBnAct({ name: 'gc', filters: 8, groups: 4, kernelSize: 3 })(x);
    const model = tf.model({ inputs: input, outputs: x });
    randomizeBatchNorms(model, 31);
    const folded = foldConvBatchNorm(model);
    expect(names(folded)).toEqual(['input', 'conv.pad', 'conv.0', 'conv.2', 'dw.pad', 'dw.0', 'gc.0', 'gc.2']);
    expect(classNames(folded)).not.toContain('BatchNormalization');
    expect(folded.getLayer('dw.0').getWeights().map((w) => w.shape)).toEqual([[3, 3, 8, 1], [8]]);
    expect(folded.countParams()).toBe(9 * 8 * 8 + 8 + (9 * 8 + 8) + (9 * 2 * 8 + 8));
    const t = tf.randomNormal([2, 8, 8, 8], 0, 1, 'float32', 4);
    expect(relativeDifference(folded, model, t)).toBeLessThan(1e-4);
    t.dispose();
  });

  it('does not fold a BN after an activation, or a conv whose output is used elsewhere', () => {
    const input = tf.input({ shape: [6, 6, 4] });
    const act = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'act' }).apply(input) as tf.SymbolicTensor;
    const afterAct = tf.layers.batchNormalization({ name: 'act.bn' }).apply(act) as tf.SymbolicTensor;
    const shared = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'shared' }).apply(input) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'shared.bn' }).apply(shared) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [afterAct, bn, tf.layers.reLU({ name: 'other' }).apply(shared) as tf.SymbolicTensor] });
    expect(findReparameterizable(model, [convBatchNormRule])).toEqual([]);
  });

  it('folds a Sequential model too', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 4, kernelSize: 3, useBias: true, name: 'c' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.flatten({ name: 'f' }),
      ],
    });
    randomizeBatchNorms(model, 2);
    const folded = foldConvBatchNorm(model);
    expect(classNames(folded)).toEqual(['InputLayer', 'Conv2D', 'Flatten']);
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 5);
    expect(relativeDifference(folded, model, x)).toBeLessThan(1e-4);
    x.dispose();
  });

  it('gives the first rule priority: RepVGG blocks first, then the remaining conv-BN pairs, leaving no BN', () => {
    const train = smallNet();
    expect(findReparameterizable(train, [repvggRule, convBatchNormRule]).map((f) => f.kind)).toEqual(['repvgg', 'repvgg', 'repvgg', 'conv-bn']);
    // The other order folds each branch's conv-BN first, and the blocks are then no longer recognized.
    expect(findReparameterizable(train, [convBatchNormRule, repvggRule]).map((f) => f.kind)).toEqual(Array(7).fill('conv-bn'));
    const optimized = reparameterizeWith(train, [repvggRule, convBatchNormRule]);
    expect(classNames(optimized)).not.toContain('BatchNormalization');
    const x = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 7);
    expect(relativeDifference(optimized, train, x)).toBeLessThan(1e-4);
    x.dispose();
  });

  it('accepts a rule of its own through the Reparameterizable interface', () => {
    // A rule that turns every 1x1 Conv2D without bias into itself with a zero bias (a no-op fusion).
    const addZeroBias = (layer: tf.layers.Layer, graph: ModelGraph) => {
      const call = graph.singleCall(layer);
      if (layer.getClassName() !== 'Conv2D' || call === null || layer.getWeights().length !== 1) return null;
      return {
        kind: 'zero-bias',
        layers: [layer],
        input: call.inputTensors[0] as tf.SymbolicTensor,
        output: call.outputTensors[0] as tf.SymbolicTensor,
        createLayer: () => tf.layers.conv2d({ ...(layer.getConfig() as object), useBias: true } as Parameters<typeof tf.layers.conv2d>[0]),
        fuse: () => ({ kernel: (layer.getWeights()[0] as tf.Tensor).clone(), bias: tf.zeros([layer.getWeights()[0]?.shape[3] as number]) as tf.Tensor1D }),
      };
    };
    const input = tf.input({ shape: [4, 4, 2] });
    const model = tf.model({ inputs: input, outputs: tf.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false, name: 'p' }).apply(input) as tf.SymbolicTensor });
    const rebuilt = reparameterizeWith(model, [addZeroBias]);
    expect(rebuilt.getLayer('p').getWeights().map((w) => w.shape)).toEqual([[1, 1, 2, 3], [3]]);
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 8);
    expect(relativeDifference(rebuilt, model, x)).toBeLessThan(1e-6);
    x.dispose();
  });
});
