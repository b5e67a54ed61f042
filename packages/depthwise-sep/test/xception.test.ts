import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, convBnAct, profile } from '@netblocks/core';
import { expectModelRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { torchMaxPool, xceptionBlock, xceptionSeparable, type XceptionBlockArgs } from '../src/xception.js';
import '../src/register.js';
import { batchNormOf, modelOf, randomizeBatchNorms, weightedLayerNames, weightsOf } from './helpers.js';

useBackend('cpu');

const PAD1: Array<[number, number]> = [[0, 0], [1, 1], [1, 1], [0, 0]];

/** PyTorch's MaxPool2d(k, s, (k - 1) / 2) by its definition: pad with -inf, then pool. */
function referenceMaxPool(x: tf.Tensor4D, poolSize: number, strides: number): tf.Tensor4D {
  const p = (poolSize - 1) / 2;
  return tf.maxPool(tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], -Infinity), poolSize, strides, 'valid');
}

/** Xception's SeparableConv2d 3x3 with padding 1, written with plain TF.js ops. */
function referenceSeparable(model: tf.LayersModel, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const [depthwise, pointwise] = weightsOf(model, name) as [tf.Tensor4D, tf.Tensor4D];
  return tf.conv2d(tf.depthwiseConv2d(tf.pad(x, PAD1), depthwise, 1, 'valid'), pointwise, 1, 'valid');
}

/** timm's legacy_xception Block.forward, written out with the block's weights, looked up by timm's
 * module paths (`rep.{i}` of its nn.Sequential, `skip`, `skipbn`). */
function referenceBlock(model: tf.LayersModel, args: Required<Omit<XceptionBlockArgs, 'epsilon' | 'momentum' | 'padding'>>, x: tf.Tensor4D): tf.Tensor {
  let y = x;
  let index = 0;
  for (let i = 0; i < args.reps; i++) {
    if (i > 0 || args.startWithRelu) {
      y = tf.relu(y);
      index++;
    }
    y = referenceSeparable(model, `${args.name}.rep.${index++}`, y);
    y = batchNormOf(model, `${args.name}.rep.${index++}`, y) as tf.Tensor4D;
  }
  if (args.strides !== 1) y = referenceMaxPool(y, 3, args.strides);
  const hasSkip = model.layers.some((l) => l.name === `${args.name}.skip`);
  const [skipKernel] = hasSkip ? weightsOf(model, `${args.name}.skip`) : [];
  const skip = skipKernel ? batchNormOf(model, `${args.name}.skipbn`, tf.conv2d(x, skipKernel, args.strides, 'valid')) : x;
  return tf.add(y, skip);
}

describe('torchMaxPool', () => {
  it.each([
    [8, 3, 2],
    [7, 3, 2],
    [9, 5, 3],
    [6, 3, 1],
  ])('pools a side of %i as PyTorch MaxPool2d(k=%i, s=%i, p=(k-1)/2): symmetric, -inf padding', (size, poolSize, strides) => {
    const model = modelOf(torchMaxPool('pool', poolSize, strides), [size, size, 2]);
    tf.tidy(() => {
      // All values negative: zero padding would win the max at the borders.
      const x = tf.sub(tf.randomUniform([2, size, size, 2], 0, 1, 'float32', size), 2) as tf.Tensor4D;
      expectTensorsClose(model.predict(x) as tf.Tensor, referenceMaxPool(x, poolSize, strides), 0);
    });
    model.dispose();
  });

  it('differs from TF same max-pooling on even inputs, and names its errors', () => {
    const model = modelOf(torchMaxPool('pool'), [8, 8, 1]);
    tf.tidy(() => {
      const x = tf.randomNormal([1, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
      const same = tf.maxPool(x, 3, 2, 'same');
      expect(tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, same))).dataSync()[0]).toBeGreaterThan(0.1);
    });
    expect(model.layers.map((l) => l.name)).toEqual(['input', 'pool', 'pool.stride']);
    model.dispose();
    expect(() => torchMaxPool('p', 2)).toThrow('torchMaxPool: `poolSize` must be odd for symmetric padding (got poolSize=2)');
    expect(() => torchMaxPool('p', 3, 0)).toThrow('torchMaxPool: `strides` must be a positive integer (got strides=0)');
  });
});

describe('xceptionSeparable', () => {
  it('is ReLU -> separable conv -> BN, numbered from firstIndex', () => {
    const model = modelOf(xceptionSeparable({ name: 'block2.rep', firstIndex: 3, filters: 5 }), [6, 6, 3]);
    expect(model.layers.map((l) => [l.name, l.getClassName()])).toEqual([
      ['input', 'InputLayer'],
      ['block2.rep.3', 'Activation'],
      ['block2.rep.4', 'NetblocksSeparableConv2D'],
      ['block2.rep.5', 'BatchNormalization'],
    ]);
    randomizeBatchNorms(model);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const expected = batchNormOf(model, 'block2.rep.5', referenceSeparable(model, 'block2.rep.4', tf.relu(x)));
      expectTensorsClose(model.predict(x) as tf.Tensor, expected, 1e-5);
    });
    model.dispose();
  });

  it('leaves out the ReLU and the BN on request, and passes strides, dilation and padding on', () => {
    const model = modelOf(xceptionSeparable({ name: 'conv3', filters: 4, preActivation: false, bn: false, strides: 2, dilation: 2, padding: 'same' }), [9, 9, 2]);
    expect(model.layers.map((l) => l.name)).toEqual(['input', 'conv3.0']);
    expect(model.getLayer('conv3.0').getConfig()).toMatchObject({ strides: [2, 2], dilationRate: [2, 2], padding: 'same', useBias: false, filters: 4 });
    expect(model.outputs[0]?.shape).toEqual([null, 5, 5, 4]);
    model.dispose();
    expect(() => xceptionSeparable({ name: 'x', filters: 0 })).toThrow('xceptionSeparable: `filters` must be a positive integer (got filters=0)');
    expect(() => xceptionSeparable({ name: 'x', filters: 2, firstIndex: -1 })).toThrow('(got firstIndex=-1)');
  });
});

describe('xceptionBlock', () => {
  it("names its layers by timm's module paths: block1 (no leading ReLU, strided skip)", () => {
    const model = modelOf(xceptionBlock({ name: 'block1', filters: 8, reps: 2, strides: 2, startWithRelu: false }), [8, 8, 4]);
    // timm's state dict: block1.rep.{0,3}.{conv1,pointwise}.weight, block1.rep.{1,4}.* (BN), block1.skip.weight, block1.skipbn.*
    expect(weightedLayerNames(model).sort()).toEqual(['block1.rep.0', 'block1.rep.1', 'block1.rep.3', 'block1.rep.4', 'block1.skip', 'block1.skipbn']);
    expect(model.layers.map((l) => l.name).sort()).toEqual(
      ['input', 'block1.rep.0', 'block1.rep.1', 'block1.rep.2', 'block1.rep.3', 'block1.rep.4', 'block1.rep.5', 'block1.rep.5.stride', 'block1.skip', 'block1.skipbn', 'block1.add'].sort(),
    );
    model.dispose();
  });

  it('names a block that starts with ReLU: block2.rep.1 and rep.4 are its separable convs, rep.6 its max-pool', () => {
    const model = modelOf(xceptionBlock({ name: 'block2', filters: 8, reps: 2, strides: 2 }), [8, 8, 4]);
    expect(weightedLayerNames(model).sort()).toEqual(['block2.rep.1', 'block2.rep.2', 'block2.rep.4', 'block2.rep.5', 'block2.skip', 'block2.skipbn']);
    expect(model.getLayer('block2.rep.6').getClassName()).toBe('MaxPooling2D');
    model.dispose();
  });

  const CASES: Array<[string, Required<Omit<XceptionBlockArgs, 'epsilon' | 'momentum' | 'padding'>>, [number, number, number]]> = [
    ['entry flow block1 on an even input', { name: 'b', filters: 8, reps: 2, strides: 2, startWithRelu: false, growFirst: true }, [8, 8, 4]],
    ['middle flow (identity skip)', { name: 'b', filters: 6, reps: 3, strides: 1, startWithRelu: true, growFirst: true }, [5, 5, 6]],
    ['exit flow block12 (grow last) on an odd input', { name: 'b', filters: 6, reps: 2, strides: 2, startWithRelu: true, growFirst: false }, [7, 7, 4]],
  ];
  it.each(CASES)("computes timm's Block.forward: %s", (_, args, [height, width, channels]) => {
    const shape = [height, width, channels];
    const model = modelOf(xceptionBlock(args), shape);
    randomizeBatchNorms(model, 2);
    tf.tidy(() => {
      const x = tf.randomNormal([2, height, width, channels], 0, 1, 'float32', 5) as tf.Tensor4D;
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, Math.ceil(height / args.strides), Math.ceil(width / args.strides), args.filters]);
      expectTensorsClose(y, referenceBlock(model, args, x), 1e-5);
    });
    // Growing last, every unit but the last keeps the input channels.
    if (!args.growFirst) expect(model.getLayer('b.rep.1').getConfig()['filters']).toBe(channels);
    model.dispose();
  });

  it("pads as Keras' Xception with padding 'same'", () => {
    const model = modelOf(xceptionBlock({ name: 'b', filters: 4, reps: 1, strides: 2, padding: 'same' }), [8, 8, 2]);
    expect(model.getLayer('b.rep.1').getConfig()['padding']).toBe('same');
    expect(model.getLayer('b.rep.3').getConfig()).toMatchObject({ padding: 'same', strides: [2, 2], poolSize: [3, 3] });
    model.dispose();
  });

  it('survives a model round trip, and leaks no tensors', async () => {
    const model = modelOf(xceptionBlock({ name: 'b', filters: 4, reps: 2, strides: 2 }), [6, 6, 3]);
    randomizeBatchNorms(model);
    const x = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 6);
    const loaded = await expectModelRoundTrip(model, x);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expectNoLeakedTensors(() => model.predict(x));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('names the argument and the value in its errors', () => {
    expect(() => xceptionBlock({ name: 'b', filters: 4, reps: 0 })).toThrow('xceptionBlock: `reps` must be a positive integer (got reps=0)');
    expect(() => xceptionBlock({ name: 'b', filters: 4, reps: 1, padding: 'valid' as 'same' })).toThrow(
      "xceptionBlock: `padding` must be 'torch' or 'same' (got padding=\"valid\")",
    );
    expect(() => xceptionBlock({ name: '', filters: 4, reps: 1 })).toThrow('(got name="")');
  });
});

describe('Xception built from xceptionBlock', () => {
  it("has timm legacy xception's 22,855,952 trainable / 22,910,480 total parameters and 8.357 G MACs at 299", () => {
    const input = tf.input({ shape: [299, 299, 3], name: 'input' });
    let x = convBnAct({ name: 'conv1', filters: 32, strides: 2, padding: 'valid' })(input);
    x = convBnAct({ name: 'conv2', filters: 64, padding: 'valid' })(x);
    const blocks: Array<Omit<XceptionBlockArgs, 'name'>> = [
      { filters: 128, reps: 2, strides: 2, startWithRelu: false },
      { filters: 256, reps: 2, strides: 2 },
      { filters: 728, reps: 2, strides: 2 },
      ...Array.from({ length: 8 }, () => ({ filters: 728, reps: 3 })),
      { filters: 1024, reps: 2, strides: 2, growFirst: false },
    ];
    blocks.forEach((args, i) => {
      x = xceptionBlock({ name: `block${i + 1}`, ...args })(x);
    });
    for (const [i, filters] of [[3, 1536], [4, 2048]] as const) {
      x = xceptionSeparable({ name: `conv${i}`, filters, preActivation: false, bn: false })(x);
      x = batchNorm(`bn${i}`).apply(x) as tf.SymbolicTensor;
      x = activationLayer('relu', `act${i}`).apply(x) as tf.SymbolicTensor;
    }
    const pooled = tf.layers.globalAveragePooling2d({ name: 'global_pool' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'fc', units: 1000 }).apply(pooled) as tf.SymbolicTensor });
    const p = profile(model);
    expect(p.trainableParams).toBe(22_855_952);
    expect(p.totalParams).toBe(22_910_480);
    expect(p.unknownLayers).toEqual([]);
    expect(Math.abs(p.macs / 8.357e9 - 1)).toBeLessThan(0.001);
    expect(model.getLayer('block12.add').outputShape).toEqual([null, 10, 10, 1024]);
    model.dispose();
  });
});
