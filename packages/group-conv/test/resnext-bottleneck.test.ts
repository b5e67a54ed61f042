import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { profile, type BlockFn } from '@netblocks/core';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { resnextBottleneck } from '../src/resnext-bottleneck.js';
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
