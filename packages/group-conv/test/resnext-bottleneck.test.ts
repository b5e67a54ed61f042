import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { profile, type BlockFn } from '@netblocks/core';
import { expectModelRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import '../src/register.js';
import { resnextBottleneck, type ResNeXtBottleneckArgs } from '../src/resnext-bottleneck.js';
import { spreadTaps } from '@netblocks/test-utils';
import { naiveGroupConv } from './naive.js';

useBackend('cpu');

/** ResNet-50 / ResNeXt-50 in torchvision's layout, built from the bottleneck (the models package owns the real one). */
function resnet50Like(cardinality: number, baseWidth: number): tf.LayersModel {
  const input = tf.input({ shape: [224, 224, 3] });
  let x = tf.layers.zeroPadding2d({ padding: 3, name: 'conv1.pad' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, useBias: false, name: 'conv1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'maxpool' }).apply(x) as tf.SymbolicTensor;
  let inChannels = 64;
  for (const [stage, [planes, blocks]] of [[64, 3], [128, 4], [256, 6], [512, 3]].entries()) {
    for (let b = 0; b < (blocks as number); b++) {
      const block: BlockFn = resnextBottleneck({
        name: `layer${stage + 1}.${b}`,
        inChannels,
        planes: planes as number,
        cardinality,
        baseWidth,
        strides: b === 0 && stage > 0 ? 2 : 1,
      });
      x = block(x);
      inChannels = (planes as number) * 4;
    }
  }
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1000, name: 'fc' }).apply(x) as tf.SymbolicTensor });
}

describe('resnextBottleneck builds the reference networks', () => {
  let resnext: tf.LayersModel;
  beforeAll(() => {
    resnext = resnet50Like(32, 4);
  });

  it('ResNeXt-50 32x4d: 25,028,904 trainable / 25,097,128 total parameters, 4.2305 G MACs', () => {
    const p = profile(resnext);
    expect(p.trainableParams).toBe(25_028_904);
    expect(p.totalParams).toBe(25_097_128);
    expect(Math.abs(p.macs / 4.2305e9 - 1)).toBeLessThan(0.01);
    expect(p.unknownLayers).toEqual([]);
  });

  it('uses torchvision names, so checkpoints map by name', () => {
    const names = resnext.layers.map((l) => l.name);
    for (const n of ['layer1.0.conv1', 'layer1.0.bn1', 'layer1.0.conv2', 'layer1.0.downsample.0', 'layer1.0.downsample.1', 'layer4.2.bn3']) {
      expect(names).toContain(n);
    }
    expect(names).not.toContain('layer1.1.downsample.0');
    expect(resnext.getLayer('layer2.0.conv2').getConfig()).toMatchObject({ groups: 32, filters: 256, strides: [2, 2] });
  });

  it('ResNet-50 (cardinality 1): 25,557,032 trainable / 25,610,152 total, 4.089 G MACs', () => {
    const resnet = resnet50Like(1, 64);
    // Ungrouped convs are stock Conv2D layers, loadable by any TF.js app.
    expect(resnet.layers.filter((l) => l.getClassName() === 'NetblocksGroupConv2D')).toEqual([]);
    const p = profile(resnet);
    expect(p.trainableParams).toBe(25_557_032);
    expect(p.totalParams).toBe(25_610_152);
    expect(Math.abs(p.macs / 4.089e9 - 1)).toBeLessThan(0.01);
  });
});

describe('resnextBottleneck numerics', () => {
  it('equals the block written out with tf ops (projection shortcut, stride 2)', () => {
    const input = tf.input({ shape: [8, 8, 16] });
    const model = tf.model({ inputs: input, outputs: resnextBottleneck({ name: 'b', inChannels: 16, planes: 8, cardinality: 4, baseWidth: 8, strides: 2 })(input) });
    // Non-trivial BN statistics everywhere, as a trained network has.
    for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
      const c = layer.getWeights()[0]?.shape[0] as number;
      layer.setWeights([tf.randomUniform([c], 0.5, 1.5), tf.randomNormal([c]), tf.randomNormal([c]), tf.randomUniform([c], 0.5, 2)]);
    }
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 16]) as tf.Tensor4D;
      const w = (n: string) => model.getLayer(n).getWeights();
      const bn = (y: tf.Tensor, n: string) => {
        const [g, b, m, v] = w(n) as tf.Tensor1D[];
        return tf.batchNorm(y, m as tf.Tensor1D, v as tf.Tensor1D, b, g, 1e-5);
      };
      const k = (n: string) => w(n)[0] as tf.Tensor4D;
      let y = tf.relu(bn(tf.conv2d(x, k('b.conv1'), 1, 'valid'), 'b.bn1')) as tf.Tensor4D;
      y = tf.relu(bn(naiveGroupConv(y, k('b.conv2'), 4, 2, 'torch'), 'b.bn2')) as tf.Tensor4D;
      y = bn(tf.conv2d(y, k('b.conv3'), 1, 'valid'), 'b.bn3') as tf.Tensor4D;
      const shortcut = bn(tf.conv2d(x, k('b.downsample.0'), 2, 'valid'), 'b.downsample.1');
      expectTensorsClose(model.predict(x) as tf.Tensor, tf.relu(tf.add(y, shortcut)), 1e-5);
    });
    const zeros = tf.zeros([1, 8, 8, 16]);
    expectNoLeakedTensors(() => model.predict(zeros));
    zeros.dispose();
  });

  it('applies an injected attention to the residual branch before the addition', () => {
    const input = tf.input({ shape: [4, 4, 32] });
    const calls: [string, number][] = [];
    // A gate of all zeros: multiplies the branch by a zero-initialised dense layer's output.
    const zeroBranch = (name: string, channels: number) => {
      calls.push([name, channels]);
      const zero = tf.layers.dense({ units: channels, kernelInitializer: 'zeros', biasInitializer: 'zeros', name: `${name}.zero` });
      const gate = tf.layers.multiply({ name: `${name}.gate` });
      return (y: tf.SymbolicTensor) => gate.apply([y, zero.apply(y) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    };
    const model = tf.model({ inputs: input, outputs: resnextBottleneck({ name: 'se', inChannels: 32, planes: 8, attention: zeroBranch })(input) });
    expect(calls).toEqual([['se.se', 32]]);
    // The gate zeroes the branch, so the block is relu(identity shortcut).
    tf.tidy(() => {
      const x = tf.randomNormal([1, 4, 4, 32]);
      expectTensorsClose(model.predict(x) as tf.Tensor, tf.relu(x), 1e-6);
    });
  });

  it('names the values when the width per group rounds to zero', () => {
    expect(() => resnextBottleneck({ name: 'x', inChannels: 64, planes: 8, cardinality: 32, baseWidth: 4 })).toThrow('(got planes=8, baseWidth=4)');
  });
});

describe('resnextBottleneck with a dilated 3x3 (timm Bottleneck(dilation=...) at output_stride 16 / 8)', () => {
  const blockModel = (args: ResNeXtBottleneckArgs, size: number) => {
    const input = tf.input({ shape: [size, size, args.inChannels] });
    const model = tf.model({ inputs: input, outputs: resnextBottleneck(args)(input) });
    // Non-trivial BN statistics everywhere, seeded.
    model.layers
      .filter((l) => l.getClassName() === 'BatchNormalization')
      .forEach((layer, i) => {
        const c = layer.getWeights()[0]?.shape[0] as number;
        const s = 100 + 4 * i;
        layer.setWeights(tf.tidy(() => [tf.randomUniform([c], 0.5, 1.5, 'float32', s), tf.randomNormal([c], 0, 0.3, 'float32', s + 1), tf.randomNormal([c], 0, 0.3, 'float32', s + 2), tf.randomUniform([c], 0.5, 2, 'float32', s + 3)]));
      });
    return model;
  };

  it('dilates conv2 only, padded `dilation` on every side: a DilatedConv2D after its pad layer when ungrouped, a dilated GroupConv2D when grouped; same names and weights', () => {
    const plain = blockModel({ name: 'b', inChannels: 32, planes: 8, dilation: 2 }, 7);
    expect(plain.getLayer('b.conv2').getClassName()).toBe('NetblocksDilatedConv2D');
    expect(plain.getLayer('b.conv2').getConfig()).toMatchObject({ dilationRate: [2, 2], strides: [1, 1], padding: 'valid', useBias: false, kernelSize: [3, 3] });
    expect(plain.getLayer('b.conv2.pad').getConfig()).toMatchObject({ padding: [[2, 2], [2, 2]] });
    for (const n of ['b.conv1', 'b.conv3']) expect(plain.getLayer(n).getClassName()).toBe('Conv2D');
    expect(plain.outputs[0]?.shape).toEqual([null, 7, 7, 32]);
    const undilated = blockModel({ name: 'b', inChannels: 32, planes: 8 }, 7);
    expect(undilated.getLayer('b.conv2').getClassName()).toBe('Conv2D');
    expect(plain.weights.map((v) => v.originalName)).toEqual(undilated.weights.map((v) => v.originalName));
    expect(plain.countParams()).toBe(undilated.countParams());
    const grouped = blockModel({ name: 'b', inChannels: 16, planes: 8, cardinality: 4, baseWidth: 8, dilation: 4 }, 7);
    expect(grouped.getLayer('b.conv2').getConfig()).toMatchObject({ dilationRate: [4, 4], groups: 4, padding: 'torch' });
    expect(grouped.getLayer('b.downsample.0').getConfig()).toMatchObject({ dilationRate: [1, 1], strides: [1, 1] });
    // At dilation 1 the block is exactly the undilated one.
    expect(blockModel({ name: 'b', inChannels: 32, planes: 8, dilation: 1 }, 7).getLayer('b.conv2').getConfig()).toEqual(undilated.getLayer('b.conv2').getConfig());
  });

  // [cardinality, baseWidth, dilation, inChannels, planes]: identity and projection shortcuts.
  const cases = [
    [1, 64, 2, 32, 8],
    [1, 64, 4, 16, 8],
    [4, 8, 2, 32, 8],
    [4, 8, 4, 16, 8],
  ] as const;
  for (const [cardinality, baseWidth, dilation, inChannels, planes] of cases) {
    it(`C=${cardinality}, dilation ${dilation}, ${inChannels} -> ${planes * 4}: equals the block written out with the spread kernel, and its conv2 gradient is the reference's at the taps`, () => {
      const model = blockModel({ name: 'b', inChannels, planes, cardinality, baseWidth, dilation }, 9);
      const conv2 = model.getLayer('b.conv2');
      tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 9, inChannels], 0, 1, 'float32', 5) as tf.Tensor4D;
        const spread = spreadTaps(conv2.getWeights()[0] as tf.Tensor4D, dilation);
        // The written-out block reads conv2's input padded by the dilation: pad then a 'valid' conv.
        const ref = (k: tf.Tensor) => {
          const w = (n: string) => model.getLayer(n).getWeights();
          const bn = (y: tf.Tensor, n: string) => {
            const [g, b, m, v] = w(n) as tf.Tensor1D[];
            return tf.batchNorm(y as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, b, g, 1e-5);
          };
          const kernel = (n: string) => w(n)[0] as tf.Tensor4D;
          let y = tf.relu(bn(tf.conv2d(x, kernel('b.conv1'), 1, 'valid'), 'b.bn1')) as tf.Tensor4D;
          y = tf.pad(y, [[0, 0], [dilation, dilation], [dilation, dilation], [0, 0]]);
          y = tf.relu(bn(naiveGroupConv(y, k as tf.Tensor4D, cardinality, 1, 'valid'), 'b.bn2')) as tf.Tensor4D;
          y = bn(tf.conv2d(y, kernel('b.conv3'), 1, 'valid'), 'b.bn3') as tf.Tensor4D;
          const shortcut = inChannels === planes * 4 ? x : bn(tf.conv2d(x, kernel('b.downsample.0'), 1, 'valid'), 'b.downsample.1');
          return tf.relu(tf.add(y, shortcut));
        };
        expectTensorsClose(model.predict(x) as tf.Tensor, ref(spread), 1e-4);
        // Trains: d/dW of sum(dy * block(x)) through the layer (core's dilated gradient), against the
        // reference's gradient w.r.t. the spread kernel read at the taps (TF.js's undilated gradient).
        const dy = tf.randomNormal([2, 9, 9, planes * 4], 0, 1, 'float32', 6);
        const variable = conv2.trainableWeights[0]?.read() as tf.Variable;
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, dy)) as tf.Scalar, [variable]);
        const dSpread = tf.grads((k: tf.Tensor) => tf.sum(tf.mul(ref(k), dy)))([spread])[0] as tf.Tensor;
        expectTensorsClose(grads[variable.name] as tf.Tensor, tf.stridedSlice(dSpread, [0, 0, 0, 0], dSpread.shape, [dilation, dilation, 1, 1]), 1e-4);
      });
    });
  }

  it('survives a model round trip (core\'s DilatedConv2D registered through group-conv/register)', async () => {
    const model = blockModel({ name: 'b', inChannels: 16, planes: 4, dilation: 2 }, 6);
    const x = tf.randomNormal([1, 6, 6, 16], 0, 1, 'float32', 8);
    const loaded = await expectModelRoundTrip(model, x, 1e-5);
    expect(loaded.getLayer('b.conv2').getConfig()).toMatchObject({ dilationRate: [2, 2] });
    x.dispose();
    loaded.dispose();
  });

  it('names the values when the dilation is not a positive integer, or comes with a stride above 1', () => {
    const base = { name: 'x', inChannels: 64, planes: 16 };
    expect(() => resnextBottleneck({ ...base, dilation: 0 })).toThrow('resnextBottleneck x: `dilation` must be a positive integer (got dilation=0)');
    expect(() => resnextBottleneck({ ...base, dilation: 1.5 })).toThrow('(got dilation=1.5)');
    expect(() => resnextBottleneck({ ...base, strides: 2, dilation: 2 })).toThrow('resnextBottleneck x: `strides` and `dilation` cannot both exceed 1 (got strides=2, dilation=2)');
  });

  it('leaks no tensors', () => {
    const model = blockModel({ name: 'b', inChannels: 16, planes: 4, cardinality: 2, baseWidth: 16, dilation: 2 }, 6);
    const x = tf.ones([1, 6, 6, 16]);
    (model.predict(x) as tf.Tensor).dispose();
    expectNoLeakedTensors(() => model.predict(x));
    x.dispose();
  });
});
