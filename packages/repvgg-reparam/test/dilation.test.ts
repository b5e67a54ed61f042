import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { identityKernel } from '../src/op.js';
import { repvggBlock } from '../src/repvgg-block.js';
import { foldConvBatchNorm, reparameterize } from '../src/reparameterize.js';
import '../src/register.js';
import { spreadTaps } from '@netblocks/test-utils';
import { blockModel, naiveGroupConv, naiveRepVGGBlock, randomizeBatchNorms } from './helpers.js';

useBackend('cpu');

const tmp = mkdtempSync(join(tmpdir(), 'repvgg-dilation-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const names = (model: tf.LayersModel) => model.layers.map((l) => l.name);

describe('repvggBlock with a dilated 3x3 (timm RepVggBlock at output_stride 16 / 8)', () => {
  it('dilates the 3x3 conv and pads it by the dilation; the 1x1 branch and the identity stay as they are', () => {
    const model = blockModel({ name: 'stage4.1', inChannels: 8, outChannels: 8, dilation: 2 }, 7);
    expect(names(model)).toEqual([
      'input', 'stage4.1.pad', 'stage4.1.rbr_dense.conv', 'stage4.1.rbr_1x1.conv', 'stage4.1.rbr_dense.bn', 'stage4.1.rbr_1x1.bn',
      'stage4.1.rbr_identity', 'stage4.1.add', 'stage4.1.nonlinearity',
    ]);
    expect(model.getLayer('stage4.1.pad').getConfig()).toMatchObject({ padding: [[2, 2], [2, 2]] });
    expect(model.getLayer('stage4.1.rbr_dense.conv').getConfig()).toMatchObject({ dilationRate: [2, 2], padding: 'valid' });
    expect(model.getLayer('stage4.1.rbr_1x1.conv').getConfig()).toMatchObject({ dilationRate: [1, 1] });
    expect(model.outputs[0]?.shape).toEqual([null, 7, 7, 8]);
    expect(model.countParams()).toBe(blockModel({ name: 'stage4.1', inChannels: 8, outChannels: 8 }, 7).countParams());
    const grouped = blockModel({ name: 'g', inChannels: 8, outChannels: 8, groups: 2, dilation: 4 }, 7);
    expect(grouped.getLayer('g.rbr_dense.conv').getConfig()).toMatchObject({ dilationRate: [4, 4], padding: 'torch' });
    expect(grouped.getLayer('g.rbr_1x1.conv').getConfig()).toMatchObject({ dilationRate: [1, 1] });
  });

  // [groups, dilation, inChannels, outChannels, padding]
  const cases = [
    [1, 2, 8, 8, 'torch'],
    [1, 4, 8, 16, 'torch'],
    [2, 2, 8, 8, 'torch'],
    [4, 4, 8, 8, 'torch'],
    [1, 2, 8, 8, 'same'],
    [2, 2, 8, 16, 'same'],
  ] as const;
  for (const [groups, dilation, cin, cout, padding] of cases) {
    const label = `groups ${groups}, dilation ${dilation}, ${cin} -> ${cout}, ${padding}`;
    it(`${label}: the block equals the spread-kernel reference, and reparameterize gives one dilated 3x3 with the same output`, () => {
      const train = blockModel({ name: 'b', inChannels: cin, outChannels: cout, groups, dilation, padding }, 9);
      randomizeBatchNorms(train, 40 + groups * 10 + dilation);
      const deploy = reparameterize(train);
      expect(names(deploy)).toEqual(names(blockModel({ name: 'b', inChannels: cin, outChannels: cout, groups, dilation, padding, deploy: true }, 9)));
      expect(deploy.getLayer('b.rbr_reparam').getConfig()).toMatchObject({ dilationRate: [dilation, dilation], kernelSize: [3, 3] });
      expect(deploy.countParams()).toBe(9 * (cin / groups) * cout + cout);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 9, cin], 0, 1, 'float32', 7) as tf.Tensor4D;
        const expected = naiveRepVGGBlock(train, 'b', x, groups, 1, dilation);
        expectTensorsClose(train.predict(x) as tf.Tensor, expected, 1e-4);
        expectTensorsClose(deploy.predict(x) as tf.Tensor, expected, 1e-4);
      });
    });
  }

  it("puts the 1x1 and identity taps at the centre of the dilated kernel (not at a corner of the spread one)", () => {
    // An identity-only check: with BN at (gamma 1, beta 0, mean 0, var 1 - eps) the 3x3 and 1x1
    // kernels zeroed, the block is relu(x); the fused kernel must then be the centred one-hot.
    const train = blockModel({ name: 'b', inChannels: 4, outChannels: 4, dilation: 2 }, 6);
    for (const conv of ['b.rbr_dense.conv', 'b.rbr_1x1.conv']) {
      const layer = train.getLayer(conv);
      layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
    }
    const eps = 1e-5;
    for (const bn of ['b.rbr_dense.bn', 'b.rbr_1x1.bn', 'b.rbr_identity']) {
      const layer = train.getLayer(bn);
      layer.setWeights([tf.ones([4]), tf.zeros([4]), tf.zeros([4]), tf.fill([4], 1 - eps)]);
    }
    const deploy = reparameterize(train);
    tf.tidy(() => {
      expectTensorsClose(deploy.getLayer('b.rbr_reparam').getWeights()[0] as tf.Tensor, identityKernel(4, 1, 3), 1e-6);
      const x = tf.randomNormal([1, 6, 6, 4], 0, 1, 'float32', 3);
      expectTensorsClose(deploy.predict(x) as tf.Tensor, tf.relu(x), 1e-5);
    });
  });

  it('foldConvBatchNorm keeps the dilation of the conv it folds into', () => {
    const train = blockModel({ name: 'b', inChannels: 8, outChannels: 16, dilation: 2 }, 7);
    randomizeBatchNorms(train, 61);
    const folded = foldConvBatchNorm(train);
    expect(folded.getLayer('b.rbr_dense.conv').getConfig()).toMatchObject({ dilationRate: [2, 2], useBias: true });
    tf.tidy(() => {
      const x = tf.randomNormal([1, 7, 7, 8], 0, 1, 'float32', 62);
      expectTensorsClose(folded.predict(x) as tf.Tensor, train.predict(x) as tf.Tensor, 1e-4);
    });
  });

  it('the spread reference kernel is the definition of dilation', () => {
    tf.tidy(() => {
      const spread = spreadTaps(tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]), 3);
      expect(Array.from(spread.reshape([16]).dataSync())).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 4]);
    });
  });

  it('saves and loads with its dilation (Conv2D and GroupConv2D)', async () => {
    const input = tf.input({ shape: [7, 7, 8], name: 'input' });
    let x = repvggBlock({ name: 'a', inChannels: 8, outChannels: 8, dilation: 2 })(input);
    x = repvggBlock({ name: 'g', inChannels: 8, outChannels: 8, groups: 2, dilation: 4 })(x);
    const model = tf.model({ inputs: input, outputs: x });
    randomizeBatchNorms(model, 71);
    await saveModel(model, join(tmp, 'dilated'));
    const loaded = await loadModel(join(tmp, 'dilated'));
    expect(loaded.getLayer('g.rbr_dense.conv').getConfig()).toMatchObject({ dilationRate: [4, 4] });
    tf.tidy(() => {
      const input2 = tf.randomNormal([1, 7, 7, 8], 0, 1, 'float32', 72);
      expectTensorsClose(loaded.predict(input2) as tf.Tensor, model.predict(input2) as tf.Tensor, 1e-6);
    });
  });

  it("a dilated ungrouped 3x3 is core's DilatedConv2D (the stock Conv2D cannot train dilated), in the deploy form too; undilated ones stay Conv2D", () => {
    const dilated = blockModel({ name: 'b', inChannels: 8, outChannels: 8, dilation: 2 }, 7);
    expect(dilated.getLayer('b.rbr_dense.conv').getClassName()).toBe('NetblocksDilatedConv2D');
    expect(dilated.getLayer('b.rbr_1x1.conv').getClassName()).toBe('Conv2D');
    expect(dilated.weights.map((w) => w.originalName)).toEqual(blockModel({ name: 'b', inChannels: 8, outChannels: 8 }, 7).weights.map((w) => w.originalName));
    expect(blockModel({ name: 'b', inChannels: 8, outChannels: 8 }, 7).getLayer('b.rbr_dense.conv').getClassName()).toBe('Conv2D');
    expect(blockModel({ name: 'b', inChannels: 8, outChannels: 8, dilation: 2, deploy: true }, 7).getLayer('b.rbr_reparam').getClassName()).toBe('NetblocksDilatedConv2D');
    expect(reparameterize(dilated).getLayer('b.rbr_reparam').getClassName()).toBe('NetblocksDilatedConv2D');
    expect(blockModel({ name: 'g', inChannels: 8, outChannels: 8, groups: 2, dilation: 2 }, 7).getLayer('g.rbr_dense.conv').getClassName()).toBe('NetblocksGroupConv2D');
  });

  it('`identity: false` leaves the identity branch out where it would fit (the block that gave up its stride, as timm)', () => {
    expect(names(blockModel({ name: 'b', inChannels: 8, outChannels: 8, dilation: 1, identity: false }, 7))).not.toContain('b.rbr_identity');
    expect(names(blockModel({ name: 'b', inChannels: 8, outChannels: 8, identity: true }, 7))).toContain('b.rbr_identity');
  });

  for (const groups of [1, 2]) {
    it(`trains (groups ${groups}, dilation 2): tf.variableGrads of the block and of its deploy form equal the spread-kernel reference's gradient read at the taps`, () => {
      const train = blockModel({ name: 'b', inChannels: 8, outChannels: 8, groups, dilation: 2 }, 7);
      randomizeBatchNorms(train, 81 + groups);
      const deploy = reparameterize(train);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 7, 7, 8], 0, 1, 'float32', 83) as tf.Tensor4D;
        const dy = tf.randomNormal([2, 7, 7, 8], 0, 1, 'float32', 84);
        const taps = (g: tf.Tensor) => tf.stridedSlice(g, [0, 0, 0, 0], g.shape, [2, 2, 1, 1]);
        const gradOf = (model: tf.LayersModel, layer: string) => {
          const variable = model.getLayer(layer).trainableWeights[0]?.read() as tf.Variable;
          return tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, dy)) as tf.Scalar, [variable]).grads[variable.name] as tf.Tensor;
        };
        // Training form: the gradient w.r.t. the spread kernel of the written-out block, at the taps.
        const dense = train.getLayer('b.rbr_dense.conv').getWeights()[0] as tf.Tensor4D;
        const reference = tf.grads((k: tf.Tensor) => tf.sum(tf.mul(naiveRepVGGBlock(train, 'b', x, groups, 1, 2, k as tf.Tensor4D), dy)))([spreadTaps(dense, 2)])[0] as tf.Tensor;
        expectTensorsClose(gradOf(train, 'b.rbr_dense.conv'), taps(reference), 1e-4);
        // Deploy form: relu(conv(x, W) + b), W the fused dilated kernel.
        const [fused, bias] = deploy.getLayer('b.rbr_reparam').getWeights() as [tf.Tensor4D, tf.Tensor1D];
        const deployed = (k: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.add(naiveGroupConv(x, k as tf.Tensor4D, groups, 1, 2), bias)), dy));
        expectTensorsClose(gradOf(deploy, 'b.rbr_reparam'), taps(tf.grads(deployed)([spreadTaps(fused, 2)])[0] as tf.Tensor), 1e-4);
      });
    });
  }

  it('rejects a bad dilation, and a stride and a dilation both above 1, by name and value', () => {
    const base = { name: 'b', inChannels: 8, outChannels: 8 };
    expect(() => repvggBlock({ ...base, dilation: 0 })).toThrow('repvggBlock: `dilation` must be a positive integer (got dilation=0)');
    expect(() => repvggBlock({ ...base, strides: 2, dilation: 2 })).toThrow('repvggBlock: `strides` and `dilation` cannot both exceed 1 (got strides=2, dilation=2)');
  });

  it('leaks no tensors when run', () => {
    const model = blockModel({ name: 'b', inChannels: 4, outChannels: 4, groups: 2, dilation: 2 }, 6);
    const x = tf.ones([1, 6, 6, 4]);
    expectNoLeakedTensors(() => model.predict(x));
    x.dispose();
  });
});
