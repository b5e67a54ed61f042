import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { convBnAct, profile } from '@netblocks/core';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { fusedMBConv, type FusedMBConvArgs } from '../src/fused-mbconv.js';
import { invertedResidual } from '../src/inverted-residual.js';
import '../src/register.js';
import { randomizeBatchNorms, swish } from './reference.js';

useBackend('cpu');

function blockModel(args: FusedMBConvArgs, size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, args.inChannels] });
  return tf.model({ inputs: input, outputs: fusedMBConv(args)(input) });
}
const layerNames = (model: tf.LayersModel) => model.layers.slice(1).map((l) => l.name);

/** EfficientNetV2-S in torchvision's layout (Tan & Le 2021, table 4), from fusedMBConv + MBConv. */
function efficientNetV2S(size: number): tf.LayersModel {
  // (fused, expand, kernel, stride, in, out, repeats)
  const stages = [
    [true, 1, 3, 1, 24, 24, 2],
    [true, 4, 3, 2, 24, 48, 4],
    [true, 4, 3, 2, 48, 64, 4],
    [false, 4, 3, 2, 64, 128, 6],
    [false, 6, 3, 1, 128, 160, 9],
    [false, 6, 3, 2, 160, 256, 15],
  ] as const;
  const total = stages.reduce((sum, s) => sum + s[6], 0);
  const input = tf.input({ shape: [size, size, 3] });
  let x = convBnAct({ name: 'features.0', filters: 24, kernelSize: 3, strides: 2, activation: 'swish', epsilon: 1e-3 })(input);
  let blockId = 0;
  stages.forEach(([fused, t, k, s, cin, cout, n], stage) => {
    for (let i = 0; i < n; i++) {
      const common = {
        name: `features.${stage + 1}.${i}`,
        inChannels: i === 0 ? cin : cout,
        outChannels: cout,
        expandRatio: t,
        kernelSize: k,
        strides: i === 0 ? s : 1,
        activation: 'swish',
        expandDivisor: 8,
        dropPathRate: (0.2 * blockId++) / total,
        epsilon: 1e-3,
        names: 'torchvision-efficientnet',
      } as const;
      x = fused ? fusedMBConv(common)(x) : invertedResidual({ ...common, se: {} })(x);
    }
  });
  x = convBnAct({ name: 'features.7', filters: 1280, kernelSize: 1, activation: 'swish', epsilon: 1e-3 })(x);
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.2, name: 'classifier.0' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1000, name: 'classifier.1' }).apply(x) as tf.SymbolicTensor });
}

describe('fusedMBConv', () => {
  it("torchvision names: block.0 (kxk conv, BN, act), block.1 (projection); t = 1: block.0 alone", () => {
    expect(layerNames(blockModel({ name: 'f.2.1', inChannels: 48, outChannels: 48, expandRatio: 4, dropPathRate: 0.1 }, 8))).toEqual([
      'f.2.1.block.0.0.pad', 'f.2.1.block.0.0', 'f.2.1.block.0.1', 'f.2.1.block.0.2', 'f.2.1.block.1.0', 'f.2.1.block.1.1', 'f.2.1.stochastic_depth', 'f.2.1.add',
    ]);
    expect(layerNames(blockModel({ name: 'f.1.0', inChannels: 24, outChannels: 24, expandRatio: 1 }, 8))).toEqual([
      'f.1.0.block.0.0.pad', 'f.1.0.block.0.0', 'f.1.0.block.0.1', 'f.1.0.block.0.2', 'f.1.0.add',
    ]);
  });

  it('timm names: EdgeResidual conv_exp, bn1, se, conv_pwl, bn2; ConvBnAct conv, bn1 at t = 1', () => {
    expect(layerNames(blockModel({ name: 'b.1.0', inChannels: 24, outChannels: 48, expandRatio: 4, strides: 2, se: {}, names: 'timm' }, 8))).toEqual([
      'b.1.0.conv_exp.pad', 'b.1.0.conv_exp', 'b.1.0.bn1', 'b.1.0.bn1.act', 'b.1.0.se', 'b.1.0.conv_pwl', 'b.1.0.bn2',
    ]);
    expect(layerNames(blockModel({ name: 'b.0.0', inChannels: 24, outChannels: 24, expandRatio: 1, names: 'timm' }, 8))).toEqual([
      'b.0.0.conv.pad', 'b.0.0.conv', 'b.0.0.bn1', 'b.0.0.bn1.act', 'b.0.0.add',
    ]);
  });

  it('equals the block written with plain tf ops (expansion, stride 2; and t = 1 with residual)', () => {
    const expandedModel = blockModel({ name: 'e', inChannels: 6, outChannels: 10, expandRatio: 4, strides: 2, epsilon: 1e-3 }, 7);
    const plainModel = blockModel({ name: 'p', inChannels: 6, outChannels: 6, expandRatio: 1 }, 7);
    randomizeBatchNorms(expandedModel, 1);
    randomizeBatchNorms(plainModel, 2);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 6], 0, 1, 'float32', 3) as tf.Tensor4D;
      const w = (m: tf.LayersModel, n: string, i: number) => m.getLayer(n).getWeights()[i] as tf.Tensor;
      const bn = (m: tf.LayersModel, y: tf.Tensor, n: string, eps: number) =>
        tf.batchNorm(y, w(m, n, 2) as tf.Tensor1D, w(m, n, 3) as tf.Tensor1D, w(m, n, 1) as tf.Tensor1D, w(m, n, 0) as tf.Tensor1D, eps);
      const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      let y = swish(bn(expandedModel, tf.conv2d(padded, w(expandedModel, 'e.block.0.0', 0) as tf.Tensor4D, 2, 'valid'), 'e.block.0.1', 1e-3));
      y = bn(expandedModel, tf.conv2d(y as tf.Tensor4D, w(expandedModel, 'e.block.1.0', 0) as tf.Tensor4D, 1, 'valid'), 'e.block.1.1', 1e-3);
      expectTensorsClose(expandedModel.predict(x) as tf.Tensor, y, 1e-5);
      const z = tf.add(swish(bn(plainModel, tf.conv2d(padded, w(plainModel, 'p.block.0.0', 0) as tf.Tensor4D, 1, 'valid'), 'p.block.0.1', 1e-5)), x);
      expectTensorsClose(plainModel.predict(x) as tf.Tensor, z, 1e-5);
    });
    const ones = tf.ones([1, 7, 7, 6]);
    expectNoLeakedTensors(() => expandedModel.predict(ones));
    ones.dispose();
  });

  it('names the argument and the value when one is invalid', () => {
    expect(() => fusedMBConv({ name: 'x', inChannels: 8, outChannels: 8, expandRatio: 4, se: {} })).toThrow("names 'torchvision-efficientnet' has no block of shape 'expand+se'");
    expect(() => fusedMBConv({ name: 'x', inChannels: 8, outChannels: 8, expandRatio: -1 })).toThrow('(got expandRatio=-1)');
    expect(() => fusedMBConv({ name: 'x', inChannels: 8, outChannels: 8, expandRatio: 4, names: 'keras' as 'timm' })).toThrow('(got names="keras")');
  });
});

describe('EfficientNetV2-S from fusedMBConv + MBConv (torchvision layout)', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = efficientNetV2S(384);
  });

  it("has torchvision's 21,458,488 parameters and 8.37 G MACs at 384", () => {
    const p = profile(model);
    expect(p.trainableParams).toBe(21_458_488);
    expect(Math.abs(p.macs / 8.37e9 - 1)).toBeLessThan(0.01);
    expect(p.unknownLayers).toEqual([]);
  });
});
