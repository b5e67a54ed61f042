import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { fusedMBConv, type FusedMBConvArgs } from '../src/fused-mbconv.js';
import { invertedResidual, type InvertedResidualArgs } from '../src/inverted-residual.js';
import '../src/register.js';
import { spreadTaps } from '@netblocks/test-utils';
import { randomizeBatchNorms, randomizeWeights, referenceBlock, relu6, swish, weightsOf } from './reference.js';

useBackend('cpu');

function model<A extends { inChannels: number }>(block: (args: A) => (x: tf.SymbolicTensor) => tf.SymbolicTensor, args: A, size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, args.inChannels] });
  return tf.model({ inputs: input, outputs: block(args)(input) });
}
const irModel = (args: InvertedResidualArgs, size: number) => model(invertedResidual, args, size);
const fusedModel = (args: FusedMBConvArgs, size: number) => model(fusedMBConv, args, size);

describe('invertedResidual with a dilated depthwise conv (timm output_stride)', () => {
  it('keeps the resolution at stride 1 and puts the dilation in the depthwise layer (no pad layer: it pads itself)', () => {
    const m = irModel({ name: 'blocks.5.1', inChannels: 16, outChannels: 16, expandRatio: 6, dilation: 2, names: 'timm' }, 9);
    expect(m.outputs[0]?.shape).toEqual([null, 9, 9, 16]);
    const dw = m.getLayer('blocks.5.1.conv_dw');
    expect(dw.getClassName()).toBe('NetblocksDepthwiseConv2D');
    expect(dw.getConfig()).toMatchObject({ dilationRate: [2, 2], kernelSize: [3, 3], strides: [1, 1], padding: 'torch' });
    expect(m.layers.some((l) => l.name.endsWith('.pad'))).toBe(false);
    // The weights are the undilated block's: same count, same names.
    const plain = irModel({ name: 'blocks.5.1', inChannels: 16, outChannels: 16, expandRatio: 6, names: 'timm' }, 9);
    expect(m.countParams()).toBe(plain.countParams());
    expect(m.weights.map((w) => w.originalName)).toEqual(plain.weights.map((w) => w.originalName));
  });

  it('at dilation 1 builds the stock DepthwiseConv2D after its pad layer, as before', () => {
    const m = irModel({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 2, dilation: 1 }, 6);
    expect(m.getLayer('b.conv.1.0').getClassName()).toBe('DepthwiseConv2D');
    expect(m.getLayer('b.conv.1.0.pad').getClassName()).toBe('ZeroPadding2D');
  });

  for (const [label, args, size, activation, residual] of [
    ['MobileNetV2 block, k3, d2, residual', { name: 'f', inChannels: 8, outChannels: 8, expandRatio: 6, dilation: 2 }, 7, relu6, true],
    ['MBConv, k5, d4, SE, timm names', { name: 'b', inChannels: 8, outChannels: 12, expandRatio: 6, kernelSize: 5, dilation: 4, activation: 'swish', se: {}, names: 'timm' }, 11, swish, false],
    ["MBConv, k3, d2, 'same' padding", { name: 's', inChannels: 8, outChannels: 8, expandRatio: 4, dilation: 2, activation: 'swish', padding: 'same', names: 'timm' }, 6, swish, true],
  ] as const) {
    it(`${label}: equals the undilated conv with the spread kernel`, () => {
      const m = irModel(args as InvertedResidualArgs, size);
      randomizeBatchNorms(m, 21);
      const timm = (args as InvertedResidualArgs).names === 'timm';
      const n = args.name;
      const roles = timm
        ? { expandConv: `${n}.conv_pw`, expandBn: `${n}.bn1`, dwConv: `${n}.conv_dw`, dwBn: `${n}.bn2`, ...('se' in args ? { se: `${n}.se` } : {}), projectConv: `${n}.conv_pwl`, projectBn: `${n}.bn3` }
        : { expandConv: `${n}.conv.0.0`, expandBn: `${n}.conv.0.1`, dwConv: `${n}.conv.1.0`, dwBn: `${n}.conv.1.1`, projectConv: `${n}.conv.2`, projectBn: `${n}.conv.3` };
      if ('se' in roles) randomizeWeights(m, [roles.se as string], 22);
      tf.tidy(() => {
        const x = tf.randomNormal([2, size, size, 8], 0, 1, 'float32', 23) as tf.Tensor4D;
        const kernelSize = (args as InvertedResidualArgs).kernelSize ?? 3;
        const expected = referenceBlock(x, weightsOf(m, Object.values(roles)), { ...roles, kernelSize, strides: 1, dilation: args.dilation, activation, residual, epsilon: 1e-5 });
        expectTensorsClose(m.predict(x) as tf.Tensor, expected, 1e-5);
      });
    });
  }

  it('the spread kernel of the reference is the definition: a dilated 1-D probe lands d taps apart', () => {
    tf.tidy(() => {
      const k = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3, 1, 1]);
      const spread = spreadTaps(k, 2);
      expect(spread.shape).toEqual([5, 5, 1, 1]);
      expect(Array.from(spread.reshape([25]).dataSync())).toEqual([1, 0, 2, 0, 3, 0, 0, 0, 0, 0, 4, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8, 0, 9]);
    });
  });

  it('rejects a dilation that is not a positive integer, naming it', () => {
    expect(() => invertedResidual({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 6, dilation: 0 })).toThrow('invertedResidual: `dilation` must be a positive integer (got dilation=0)');
    expect(() => invertedResidual({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 6, dilation: 1.5 })).toThrow('(got dilation=1.5)');
  });

  it('leaks no tensors', () => {
    const m = irModel({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 2, dilation: 2 }, 6);
    const x = tf.ones([1, 6, 6, 8]);
    (m.predict(x) as tf.Tensor).dispose();
    expectNoLeakedTensors(() => m.predict(x));
    x.dispose();
  });
});

describe('fusedMBConv with a dilated kxk conv', () => {
  it('equals the undilated conv with the spread kernel (torch padding d(k-1)/2), and keeps the parameters', () => {
    const args: FusedMBConvArgs = { name: 'f', inChannels: 8, outChannels: 8, expandRatio: 4, dilation: 2 };
    const m = fusedModel(args, 7);
    randomizeBatchNorms(m, 31);
    expect(m.getLayer('f.block.0.0').getConfig()).toMatchObject({ dilationRate: [2, 2] });
    expect(m.getLayer('f.block.0.0.pad').getConfig()).toMatchObject({ padding: [[2, 2], [2, 2]] });
    expect(m.countParams()).toBe(fusedModel({ ...args, dilation: 1 }, 7).countParams());
    tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 8], 0, 1, 'float32', 32) as tf.Tensor4D;
      const w = weightsOf(m, ['f.block.0.0', 'f.block.0.1', 'f.block.1.0', 'f.block.1.1']);
      const get = (n: string, i: number) => (w[n] as tf.Tensor[])[i] as tf.Tensor1D;
      const bn = (y: tf.Tensor, n: string) => tf.batchNorm(y as tf.Tensor4D, get(n, 2), get(n, 3), get(n, 1), get(n, 0), 1e-5);
      const padded = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]]);
      let y = swish(bn(tf.conv2d(padded, spreadTaps((w['f.block.0.0'] as tf.Tensor[])[0] as tf.Tensor4D, 2), 1, 'valid'), 'f.block.0.1'));
      y = bn(tf.conv2d(y as tf.Tensor4D, (w['f.block.1.0'] as tf.Tensor[])[0] as tf.Tensor4D, 1, 'valid'), 'f.block.1.1');
      expectTensorsClose(m.predict(x) as tf.Tensor, tf.add(y, x), 1e-5);
    });
  });

  it("the dilated kxk conv is core's DilatedConv2D (the stock Conv2D cannot train dilated); undilated it stays a Conv2D", () => {
    const args: FusedMBConvArgs = { name: 'f', inChannels: 8, outChannels: 8, expandRatio: 4, dilation: 2 };
    const m = fusedModel(args, 7);
    expect(m.getLayer('f.block.0.0').getClassName()).toBe('NetblocksDilatedConv2D');
    expect(m.getLayer('f.block.0.0').getConfig()).toMatchObject({ kernelSize: [3, 3], strides: [1, 1], padding: 'valid', useBias: false, filters: 32 });
    const plain = fusedModel({ ...args, dilation: 1 }, 7);
    expect(plain.getLayer('f.block.0.0').getClassName()).toBe('Conv2D');
    expect(m.weights.map((w) => w.originalName)).toEqual(plain.weights.map((w) => w.originalName));
    const same = fusedModel({ ...args, padding: 'same' }, 7);
    expect(same.getLayer('f.block.0.0').getConfig()).toMatchObject({ dilationRate: [2, 2], padding: 'same' });
  });

  it('trains: the dilated conv\'s kernel gradient is the spread-kernel reference\'s read at the taps', () => {
    const m = fusedModel({ name: 'f', inChannels: 8, outChannels: 8, expandRatio: 4, dilation: 2 }, 7);
    randomizeBatchNorms(m, 41);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 8], 0, 1, 'float32', 42) as tf.Tensor4D;
      const dy = tf.randomNormal([2, 7, 7, 8], 0, 1, 'float32', 43);
      const w = weightsOf(m, ['f.block.0.0', 'f.block.0.1', 'f.block.1.0', 'f.block.1.1']);
      const get = (n: string, i: number) => (w[n] as tf.Tensor[])[i] as tf.Tensor1D;
      const bn = (y: tf.Tensor, n: string) => tf.batchNorm(y as tf.Tensor4D, get(n, 2), get(n, 3), get(n, 1), get(n, 0), 1e-5);
      const padded = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]]);
      const reference = (k: tf.Tensor) => {
        const y = swish(bn(tf.conv2d(padded, k as tf.Tensor4D, 1, 'valid'), 'f.block.0.1'));
        return tf.sum(tf.mul(tf.add(bn(tf.conv2d(y as tf.Tensor4D, (w['f.block.1.0'] as tf.Tensor[])[0] as tf.Tensor4D, 1, 'valid'), 'f.block.1.1'), x), dy));
      };
      const spread = spreadTaps((w['f.block.0.0'] as tf.Tensor[])[0] as tf.Tensor4D, 2);
      const dSpread = tf.grads(reference)([spread])[0] as tf.Tensor;
      const variable = m.getLayer('f.block.0.0').trainableWeights[0]?.read() as tf.Variable;
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(x) as tf.Tensor, dy)) as tf.Scalar, [variable]);
      expectTensorsClose(grads[variable.name] as tf.Tensor, tf.stridedSlice(dSpread, [0, 0, 0, 0], dSpread.shape, [2, 2, 1, 1]), 1e-4);
    });
  });

  it('rejects a stride and a dilation both above 1 (TF.js convs take one or the other)', () => {
    expect(() => fusedMBConv({ name: 'f', inChannels: 8, outChannels: 8, expandRatio: 4, strides: 2, dilation: 2 })).toThrow(
      'fusedMBConv: `strides` and `dilation` cannot both exceed 1 (got strides=2, dilation=2)',
    );
  });
});
