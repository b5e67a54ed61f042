import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { convBnAct, profile } from '@netblocks/core';
import { useBackend } from '@netblocks/test-utils';
import { invertedResidual } from '../src/inverted-residual.js';
import '../src/register.js';

useBackend('cpu');

/** Global pool, dropout, 1000-way classifier, torchvision's names. */
function classifierHead(x: tf.SymbolicTensor, dropout: number): tf.SymbolicTensor {
  const pooled = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x);
  const dropped = tf.layers.dropout({ rate: dropout, name: 'classifier.0' }).apply(pooled);
  return tf.layers.dense({ units: 1000, name: 'classifier.1' }).apply(dropped) as tf.SymbolicTensor;
}

/** MobileNetV2-1.0 in torchvision's layout, built from the block (the models package owns the real one). */
function mobilenetV2(): tf.LayersModel {
  const settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]] as const;
  const input = tf.input({ shape: [224, 224, 3] });
  let x = convBnAct({ name: 'features.0', filters: 32, kernelSize: 3, strides: 2, activation: 'relu6' })(input);
  let inChannels = 32;
  let index = 1;
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      x = invertedResidual({ name: `features.${index++}`, inChannels, outChannels: c, expandRatio: t, strides: i === 0 ? s : 1 })(x);
      inChannels = c;
    }
  }
  x = convBnAct({ name: `features.${index}`, filters: 1280, kernelSize: 1, activation: 'relu6' })(x);
  return tf.model({ inputs: input, outputs: classifierHead(x, 0.2) });
}

/** EfficientNet-B0 in torchvision's layout (no input normalization), built from MBConv. */
function efficientNetB0(): tf.LayersModel {
  // (expand, kernel, stride, in, out, repeats), SE 0.25 of the block input everywhere.
  const stages = [[1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3], [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1]] as const;
  const totalBlocks = stages.reduce((sum, s) => sum + s[5], 0);
  const input = tf.input({ shape: [224, 224, 3] });
  let x = convBnAct({ name: 'features.0', filters: 32, kernelSize: 3, strides: 2, activation: 'swish' })(input);
  let blockId = 0;
  stages.forEach(([t, k, s, cin, cout, n], stage) => {
    for (let i = 0; i < n; i++) {
      x = invertedResidual({
        name: `features.${stage + 1}.${i}`,
        inChannels: i === 0 ? cin : cout,
        outChannels: cout,
        expandRatio: t,
        kernelSize: k,
        strides: i === 0 ? s : 1,
        activation: 'swish',
        se: { reduced: { ratio: 0.25, of: 'input' } },
        expandDivisor: 8,
        // torchvision: stochastic_depth_prob * block_id / total_blocks.
        dropPathRate: (0.2 * blockId++) / totalBlocks,
        names: 'torchvision-efficientnet',
      })(x);
    }
  });
  x = convBnAct({ name: 'features.8', filters: 1280, kernelSize: 1, activation: 'swish' })(x);
  return tf.model({ inputs: input, outputs: classifierHead(x, 0.2) });
}

const count = (model: tf.LayersModel, className: string) => model.layers.filter((l) => l.getClassName() === className).length;

describe('MobileNetV2-1.0 from invertedResidual (torchvision layout)', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = mobilenetV2();
  });

  it('has 3,504,872 trainable / 3,538,984 total parameters and 300.8 M MACs', () => {
    const p = profile(model);
    expect(p.trainableParams).toBe(3_504_872);
    expect(p.totalParams).toBe(3_538_984);
    expect(Math.abs(p.macs / 300.8e6 - 1)).toBeLessThan(0.01);
    expect(p.unknownLayers).toEqual([]);
  });

  it('has exactly 10 residual additions and 17 blocks named features.1-17', () => {
    expect(count(model, 'Add')).toBe(10);
    expect(model.getLayer('features.17.conv.3').outputShape).toEqual([null, 7, 7, 320]);
    expect(model.getLayer('features.1.conv.2').outputShape).toEqual([null, 112, 112, 16]);
    expect(model.getLayer('features.14.conv.1.0').getConfig()).toMatchObject({ strides: [2, 2] });
    expect(model.outputs[0]?.shape).toEqual([null, 1000]);
  });
});

describe('EfficientNet-B0 from MBConv (torchvision layout)', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = efficientNetB0();
  });

  it('has 5,288,548 trainable / 5,330,564 total parameters and 0.386 G MACs', () => {
    const p = profile(model);
    expect(p.trainableParams).toBe(5_288_548);
    expect(p.totalParams).toBe(5_330_564);
    expect(Math.abs(p.macs / 0.386e9 - 1)).toBeLessThan(0.01);
    expect(p.unknownLayers).toEqual([]);
  });

  it('has 16 SEs of 0.25 of the block input channels, and 9 drop-path layers (one per residual) without parameters', () => {
    const se = model.layers.filter((l) => l.getClassName() === 'NetblocksSqueezeExcite');
    expect(se).toHaveLength(16);
    // 0.25 of the INPUT channels, on the expanded tensor: features.2.0 gates 96 channels with 16 / 4 = 4.
    expect(model.getLayer('features.2.0.block.2').getConfig()).toMatchObject({ reducedChannels: 4, activation: 'swish', gate: 'sigmoid' });
    expect(model.getLayer('features.2.0.block.2').weights.map((w) => w.shape)).toEqual([[1, 1, 96, 4], [4], [1, 1, 4, 96], [96]]);
    expect(model.getLayer('features.1.0.block.1').getConfig()).toMatchObject({ reducedChannels: 8 });
    const drops = model.layers.filter((l) => l.getClassName() === 'NetblocksStochasticDepth');
    expect(drops).toHaveLength(9);
    expect(count(model, 'Add')).toBe(9);
    expect(drops.reduce((sum, l) => sum + l.countParams(), 0)).toBe(0);
    // The rate grows with the block index: features.6.3 is block 14 (11 blocks before stage 6): 0.2 * 14 / 16.
    expect(model.getLayer('features.6.3.stochastic_depth').getConfig()['rate']).toBeCloseTo(0.175, 10);
  });
});
