import * as tf from '@tensorflow/tfjs';
import { convBnAct, profile } from '@netblocks/core';
import { expectModelRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { depthwiseSeparableMacs } from '../src/macs.js';
import { mobilenetV1Block } from '../src/mobilenet-v1-block.js';
import '../src/register.js';
import { batchNormOf, modelOf, randomizeBatchNorms, weightsOf } from './helpers.js';
import { naiveDepthwise, naiveDepthwiseGrads, torchPads, type Pair } from './naive.js';

useBackend('cpu');

describe('mobilenetV1Block', () => {
  it("names its layers as timm's DepthwiseSeparableConv, whatever was built before", () => {
    const names = () => modelOf(mobilenetV1Block({ name: 'blocks.1.0', filters: 16, strides: 2 }), [8, 8, 4]).layers.map((l) => l.name);
    const first = names();
    tf.layers.dense({ units: 1 }); // bumps TF.js's global auto-name counter
    expect(names()).toEqual(first);
    expect(first).toEqual([
      'input',
      'blocks.1.0.conv_dw',
      'blocks.1.0.bn1',
      'blocks.1.0.bn1.act',
      'blocks.1.0.conv_pw',
      'blocks.1.0.bn2',
      'blocks.1.0.bn2.act',
    ]);
  });

  it('computes dw -> BN -> act -> pw -> BN -> act, with PyTorch padding at stride 2', () => {
    const model = modelOf(mobilenetV1Block({ name: 'b', filters: 5, strides: 2, depthMultiplier: 2, activation: 'relu6' }), [8, 8, 3]);
    randomizeBatchNorms(model);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const [depthwise] = weightsOf(model, 'b.conv_dw') as [tf.Tensor4D];
      const [pointwise] = weightsOf(model, 'b.conv_pw') as [tf.Tensor4D];
      const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const mid = tf.relu6(batchNormOf(model, 'b.bn1', tf.depthwiseConv2d(padded, depthwise, 2, 'valid'))) as tf.Tensor4D;
      const expected = tf.relu6(batchNormOf(model, 'b.bn2', tf.conv2d(mid, pointwise, 1, 'valid')));
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 4, 4, 5]);
      expectTensorsClose(y, expected, 1e-5);
    });
    model.dispose();
  });

  it('has the parameters of two bias-free convs and two BNs, and the depthwise-separable MACs', () => {
    const model = modelOf(mobilenetV1Block({ name: 'b', filters: 64 }), [56, 56, 32]);
    const p = profile(model);
    // dw 3*3*32, pw 32*64; each BN has gamma and beta (trainable) plus moving mean and variance.
    expect(p.trainableParams).toBe(9 * 32 + 32 * 64 + 2 * 32 + 2 * 64);
    expect(p.totalParams).toBe(p.trainableParams + 2 * 32 + 2 * 64);
    expect(p.macs).toBe(depthwiseSeparableMacs(56, 56, 32, 64, 3));
    expect(p.unknownLayers).toEqual([]);
    model.dispose();
  });

  it('takes no activation, other padding and BN settings', () => {
    const model = modelOf(mobilenetV1Block({ name: 'b', filters: 4, activation: null, padding: 'same', strides: 2, epsilon: 1e-3, momentum: 0.99 }), [7, 7, 2]);
    expect(model.layers.map((l) => l.name)).toEqual(['input', 'b.conv_dw', 'b.bn1', 'b.conv_pw', 'b.bn2']);
    expect(model.getLayer('b.conv_dw').getConfig()).toMatchObject({ padding: 'same', strides: [2, 2] });
    expect(model.getLayer('b.bn1').getConfig()).toMatchObject({ epsilon: 1e-3, momentum: 0.99 });
    expect(model.outputs[0]?.shape).toEqual([null, 4, 4, 4]);
    model.dispose();
  });

  it('survives a model round trip', async () => {
    const model = modelOf(mobilenetV1Block({ name: 'b', filters: 6, strides: 2 }), [6, 6, 3]);
    randomizeBatchNorms(model);
    const x = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 2);
    const loaded = await expectModelRoundTrip(model, x);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('names the argument and the value in its errors', () => {
    expect(() => mobilenetV1Block({ name: '', filters: 4 })).toThrow('mobilenetV1Block: `name` must be a non-empty string (got name="")');
    expect(() => mobilenetV1Block({ name: 'b', filters: 2.5 })).toThrow('mobilenetV1Block: `filters` must be a positive integer (got filters=2.5)');
    expect(() => mobilenetV1Block({ name: 'b', filters: 4, strides: 0 })).toThrow('(got strides=0)');
    expect(() => mobilenetV1Block({ name: 'b', filters: 4, activation: 'mish' as 'relu' })).toThrow('(got activation="mish")');
  });

  it('leaks no tensors', () => {
    const model = modelOf(mobilenetV1Block({ name: 'b', filters: 4 }), [6, 6, 3]);
    const x = tf.ones([1, 6, 6, 3]);
    expectNoLeakedTensors(() => model.predict(x));
    x.dispose();
    model.dispose();
  });
});

describe('mobilenetV1Block with a dilated depthwise conv (timm output_stride 16 / 8)', () => {
  it('puts the dilation in conv_dw (padded `dilation` on every side, no pad layer); same names and weights', () => {
    const model = modelOf(mobilenetV1Block({ name: 'blocks.4.1', filters: 8, dilation: 2, activation: 'relu6' }), [7, 7, 4]);
    expect(model.getLayer('blocks.4.1.conv_dw').getConfig()).toMatchObject({ dilationRate: [2, 2], strides: [1, 1], padding: 'torch', kernelSize: [3, 3] });
    expect(model.getLayer('blocks.4.1.conv_pw').getConfig()).toMatchObject({ dilationRate: [1, 1], kernelSize: [1, 1] });
    expect(model.outputs[0]?.shape).toEqual([null, 7, 7, 8]);
    const plain = modelOf(mobilenetV1Block({ name: 'blocks.4.1', filters: 8, activation: 'relu6' }), [7, 7, 4]);
    expect(model.layers.map((l) => l.name)).toEqual(plain.layers.map((l) => l.name));
    expect(model.weights.map((w) => w.originalName)).toEqual(plain.weights.map((w) => w.originalName));
    expect(modelOf(mobilenetV1Block({ name: 'blocks.4.1', filters: 8, dilation: 1, activation: 'relu6' }), [7, 7, 4]).getLayer('blocks.4.1.conv_dw').getConfig()).toEqual(
      plain.getLayer('blocks.4.1.conv_dw').getConfig(),
    );
    for (const m of [model, plain]) m.dispose();
  });

  // [dilation, strides, depthMultiplier, padding]
  const cases = [
    [2, 1, 1, 'torch'],
    [4, 1, 2, 'torch'],
    [2, 2, 1, 'torch'],
    [2, 1, 1, 'same'],
  ] as const;
  for (const [dilation, strides, depthMultiplier, padding] of cases) {
    it(`dilation ${dilation}, stride ${strides}, multiplier ${depthMultiplier}, ${padding}: equals the naive Float64 depthwise conv -> BN -> act -> pw -> BN -> act, and trains (its kernel gradient is the naive one)`, () => {
      const size = 9;
      const model = modelOf(mobilenetV1Block({ name: 'b', filters: 5, dilation, strides, depthMultiplier, padding, activation: 'relu6' }), [size, size, 3]);
      randomizeBatchNorms(model, 3 + dilation);
      tf.tidy(() => {
        const x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
        const [depthwise] = weightsOf(model, 'b.conv_dw') as [tf.Tensor4D];
        const [pointwise] = weightsOf(model, 'b.conv_pw') as [tf.Tensor4D];
        const d: Pair = [dilation, dilation];
        const extent = dilation * 2 + 1;
        const same = (): Pair => {
          const out = Math.ceil(size / strides);
          const total = Math.max((out - 1) * strides + extent - size, 0);
          return [Math.floor(total / 2), total - Math.floor(total / 2)];
        };
        const pads: [Pair, Pair] = padding === 'torch' ? torchPads([3, 3], d) : [same(), same()];
        const g = { pads, strides: [strides, strides] as Pair, dilation: d };
        const tail = (t: tf.Tensor) => tf.relu6(batchNormOf(model, 'b.bn2', tf.conv2d(tf.relu6(batchNormOf(model, 'b.bn1', t)) as tf.Tensor4D, pointwise, 1, 'valid')));
        const mid = naiveDepthwise(x, depthwise, g);
        const y = model.predict(x) as tf.Tensor;
        expectTensorsClose(y, tail(mid), 1e-4);
        // The gradient of sum(dy * block(x)) w.r.t. the depthwise kernel: through the layer
        // (core's dilated gradient) and by the naive Float64 backward pass of the conv.
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 5);
        const upstream = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tail(t), dy)))([mid])[0] as tf.Tensor;
        const expected = naiveDepthwiseGrads(x, depthwise, upstream, g).dFilter;
        const variable = model.getLayer('b.conv_dw').trainableWeights[0]?.read() as tf.Variable;
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, dy)) as tf.Scalar, [variable]);
        expectTensorsClose(grads[variable.name] as tf.Tensor, expected, 1e-4);
      });
      model.dispose();
    });
  }

  it('survives a model round trip with its dilation', async () => {
    const model = modelOf(mobilenetV1Block({ name: 'b', filters: 6, dilation: 2 }), [6, 6, 3]);
    randomizeBatchNorms(model);
    const x = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 2);
    const loaded = await expectModelRoundTrip(model, x);
    expect(loaded.getLayer('b.conv_dw').getConfig()).toMatchObject({ dilationRate: [2, 2] });
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('names the dilation and its value when it is not a positive integer', () => {
    expect(() => mobilenetV1Block({ name: 'b', filters: 4, dilation: 0 })).toThrow('mobilenetV1Block: `dilation` must be a positive integer (got dilation=0)');
    expect(() => mobilenetV1Block({ name: 'b', filters: 4, dilation: 1.5 })).toThrow('(got dilation=1.5)');
  });
});

describe('MobileNetV1-1.0 built from mobilenetV1Block', () => {
  // (filters, stride) of the 13 depthwise-separable blocks (MobileNets, Table 1).
  const BLOCKS: ReadonlyArray<readonly [number, number]> = [
    [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
    [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
  ];

  it("has timm mobilenetv1_100's 4,231,976 trainable / 4,253,864 total parameters and 568.7 M MACs", () => {
    const input = tf.input({ shape: [224, 224, 3], name: 'input' });
    let x = convBnAct({ name: 'stem', filters: 32, strides: 2 })(input);
    BLOCKS.forEach(([filters, strides], i) => {
      x = mobilenetV1Block({ name: `blocks.${i}`, filters, strides })(x);
    });
    const pooled = tf.layers.globalAveragePooling2d({ name: 'global_pool' }).apply(x) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ name: 'classifier', units: 1000 }).apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: logits });
    const p = profile(model);
    expect(p.trainableParams).toBe(4_231_976);
    expect(p.totalParams).toBe(4_253_864);
    expect(p.unknownLayers).toEqual([]);
    expect(Math.abs(p.macs / 568.7e6 - 1)).toBeLessThan(0.01);
    expect(model.outputs[0]?.shape).toEqual([null, 1000]);
    model.dispose();
  });
});
