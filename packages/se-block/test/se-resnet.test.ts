import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { profile, type BlockFn } from '@netblocks/core';
import { resnextBottleneck, type ResNeXtBottleneckArgs } from '@netblocks/group-conv';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { seAttention, withSE } from '../src/blocks.js';

useBackend('cpu');

type BottleneckBuilder = (args: Omit<ResNeXtBottleneckArgs, 'attention'>) => BlockFn;

/** ResNet-50 / ResNeXt-50 in torchvision's layout from a bottleneck builder (the models package owns the real one). */
function resnet50Like(bottleneck: BottleneckBuilder, cardinality: number, baseWidth: number): tf.LayersModel {
  const input = tf.input({ shape: [224, 224, 3] });
  let x = tf.layers.zeroPadding2d({ padding: 3, name: 'conv1.pad' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, useBias: false, name: 'conv1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'maxpool' }).apply(x) as tf.SymbolicTensor;
  let inChannels = 64;
  for (const [stage, [planes, blocks]] of ([[64, 3], [128, 4], [256, 6], [512, 3]] as const).entries()) {
    for (let b = 0; b < blocks; b++) {
      const name = `layer${stage + 1}.${b}`;
      x = bottleneck({ name, inChannels, planes, cardinality, baseWidth, strides: b === 0 && stage > 0 ? 2 : 1 })(x);
      inChannels = planes * 4;
    }
  }
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1000, name: 'fc' }).apply(x) as tf.SymbolicTensor });
}

/** timm's seresnet / seresnext SE: after bn3, C/16 of the block output, ReLU, sigmoid, 1x1 convs with bias. */
const seBottleneck = withSE(resnextBottleneck);

describe('SE-ResNet built from resnextBottleneck + seAttention (timm seresnet50, seresnext50_32x4d)', () => {
  let seresnet: tf.LayersModel;
  let seresnext: tf.LayersModel;
  beforeAll(() => {
    seresnet = resnet50Like(seBottleneck, 1, 64);
    seresnext = resnet50Like(seBottleneck, 32, 4);
  });

  it('seresnet50: 28,088,024 trainable / 28,141,144 total parameters, 4.092 G MACs', () => {
    const p = profile(seresnet);
    expect(p.trainableParams).toBe(28_088_024);
    expect(p.totalParams).toBe(28_141_144);
    expect(Math.abs(p.macs / 4.092e9 - 1)).toBeLessThan(0.01);
    expect(p.unknownLayers).toEqual([]);
  });

  it('seresnext50_32x4d: 27,559,896 trainable / 27,628,120 total parameters, 4.233 G MACs', () => {
    const p = profile(seresnext);
    expect(p.trainableParams).toBe(27_559_896);
    expect(p.totalParams).toBe(27_628_120);
    expect(Math.abs(p.macs / 4.233e9 - 1)).toBeLessThan(0.01);
    expect(p.unknownLayers).toEqual([]);
  });

  it('puts one SE per block, named `${block}.se` with timm fc1 / fc2 weights, reducing to C/16', () => {
    const se = seresnet.layers.filter((l) => l.getClassName() === 'NetblocksSqueezeExcite');
    expect(se).toHaveLength(16);
    expect(se.map((l) => l.name)).toContain('layer3.5.se');
    const layer = seresnet.getLayer('layer4.0.se');
    expect(layer.weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['layer4.0.se/fc1/kernel', [1, 1, 2048, 128]],
      ['layer4.0.se/fc1/bias', [128]],
      ['layer4.0.se/fc2/kernel', [1, 1, 128, 2048]],
      ['layer4.0.se/fc2/bias', [2048]],
    ]);
    expect(layer.getConfig()).toMatchObject({ reducedChannels: 128, activation: 'relu', gate: 'sigmoid' });
  });

  it('sits on the residual branch, after bn3 and before the addition', () => {
    for (const block of ['layer1.0', 'layer2.0', 'layer3.4']) {
      const se = seresnet.getLayer(`${block}.se`);
      expect(se.inboundNodes[0]?.inboundLayers.map((l) => l.name)).toEqual([`${block}.bn3`]);
      const add = seresnet.getLayer(`${block}.add`);
      expect(add.inboundNodes[0]?.inboundLayers.map((l) => l.name)).toContain(`${block}.se`);
    }
  });
});

describe('the SE in a small bottleneck, numerically', () => {
  it('gates the branch only: with the gate shut, the block is relu(shortcut)', () => {
    const input = tf.input({ shape: [4, 4, 32] });
    const block = resnextBottleneck({ name: 'b', inChannels: 32, planes: 8, attention: seAttention({ reduced: { channels: 2 } }) });
    const model = tf.model({ inputs: input, outputs: block(input) });
    const se = model.getLayer('b.se');
    const [w1, b1, w2] = se.getWeights() as tf.Tensor[];
    // A very negative expand bias: sigmoid(-1e4) = 0, so the SE multiplies the branch by 0.
    se.setWeights([w1 as tf.Tensor, b1 as tf.Tensor, w2 as tf.Tensor, tf.fill([32], -1e4)]);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 4, 4, 32], 0, 1, 'float32', 3);
      expectTensorsClose(model.predict(x) as tf.Tensor, tf.relu(x), 1e-6);
    });
  });
});
