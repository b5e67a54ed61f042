import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectLayerRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { applyActivation, type ActivationName } from '../src/activations.js';
import { FusedConv2D, resolveFusedConv2DArgs } from '../src/layers/fused-conv2d-layer.js';
import { profile } from '../src/profile/index.js';
import '../src/register.js';

// The wasm kernels are checked through every optimized model in @netblocks/models' forward test.
useBackend('cpu');

interface ChainArgs {
  padding: [[number, number], [number, number]];
  strides: [number, number];
  dilationRate: [number, number];
  depthwise: boolean;
  activation: ActivationName;
}

/** The chain FusedConv2D replaces, written out op by op: pad, conv, bias, activation. */
function reference(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D, args: ChainArgs): tf.Tensor {
  return tf.tidy(() => {
    const [[t, b], [l, r]] = args.padding;
    const padded = tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]);
    const { strides, dilationRate: dilation } = args;
    const y = args.depthwise
      ? tf.depthwiseConv2d(padded, kernel, strides, 'valid', 'NHWC', dilation)
      : tf.conv2d(padded, kernel, strides, 'valid', 'NHWC', dilation);
    return applyActivation(tf.add(y, bias), args.activation);
  });
}

const ACTIVATIONS: ActivationName[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'swish', 'gelu', 'tanh', 'hardSigmoid'];

const CASES = [
  { name: 'dense 3x3 stride 1, symmetric pad', depthwise: false, k: 3, s: 1, d: 1, pad: [[1, 1], [1, 1]], cin: 5, filters: 7 },
  { name: 'dense 3x3 stride 2, asymmetric pad (TF same)', depthwise: false, k: 3, s: 2, d: 1, pad: [[0, 1], [0, 1]], cin: 4, filters: 6 },
  { name: 'dense 1x1, no pad', depthwise: false, k: 1, s: 1, d: 1, pad: [[0, 0], [0, 0]], cin: 8, filters: 3 },
  { name: 'dense 3x3 dilation 2', depthwise: false, k: 3, s: 1, d: 2, pad: [[2, 2], [2, 2]], cin: 3, filters: 4 },
  { name: 'depthwise 3x3 stride 2, pad 1', depthwise: true, k: 3, s: 2, d: 1, pad: [[1, 1], [1, 1]], cin: 6, filters: 6 },
  { name: 'depthwise 5x5 multiplier 2, asymmetric pad', depthwise: true, k: 5, s: 1, d: 1, pad: [[1, 3], [2, 2]], cin: 4, filters: 8 },
] as const;

describe('FusedConv2D', () => {
  describe.each(CASES)('$name', ({ depthwise, k, s, d, pad, cin, filters }) => {
    it.each(ACTIVATIONS)('equals pad -> conv -> bias -> %s', (activation) => {
      const padding = pad as unknown as [[number, number], [number, number]];
      const layer = new FusedConv2D({ filters, kernelSize: k, strides: s, dilationRate: d, padding, depthwise, activation });
      const x = tf.randomNormal([2, 9, 11, cin], 0, 1, 'float32', 3) as tf.Tensor4D;
      const kernel = tf.randomNormal([k, k, cin, depthwise ? filters / cin : filters], 0, 0.5, 'float32', 4) as tf.Tensor4D;
      const bias = tf.randomNormal([filters], 0, 0.5, 'float32', 5) as tf.Tensor1D;
      layer.apply(x);
      layer.setWeights([kernel, bias]);
      const args: ChainArgs = { strides: [s, s], dilationRate: [d, d], padding, depthwise, activation };
      tf.tidy(() => {
        const actual = layer.apply(x) as tf.Tensor;
        expectTensorsClose(actual, reference(x, kernel, bias, args), 1e-5);
        const shape = layer.computeOutputShape([null, 9, 11, cin]);
        expect(actual.shape).toEqual([2, ...shape.slice(1)]);
      });
      expectNoLeakedTensors(() => layer.apply(x));
      tf.dispose([x, kernel, bias]);
      layer.dispose();
    });
  });

  it('round-trips through its config and a saved model', async () => {
    const layer = new FusedConv2D({ filters: 6, kernelSize: [3, 5], strides: 2, padding: [[1, 1], [2, 2]], depthwise: true, activation: 'swish' });
    const x = tf.randomNormal([1, 8, 8, 3]);
    expectLayerRoundTrip(layer, x);
    expect(layer.getConfig()).toMatchObject({ filters: 6, kernelSize: [3, 5], strides: [2, 2], dilationRate: [1, 1], padding: [[1, 1], [2, 2]], depthwise: true, activation: 'swish' });
    x.dispose();
  });

  it('reports its MACs to profile: positions * k * k * Cin/groups * filters', () => {
    const input = tf.input({ shape: [16, 16, 8] });
    const dense = new FusedConv2D({ name: 'dense', filters: 12, kernelSize: 3, strides: 2, padding: [[1, 1], [1, 1]] });
    const dw = new FusedConv2D({ name: 'dw', filters: 12, kernelSize: 3, padding: [[1, 1], [1, 1]], depthwise: true });
    const model = tf.model({ inputs: input, outputs: dw.apply(dense.apply(input)) as tf.SymbolicTensor });
    const byName = new Map(profile(model).layers.map((l) => [l.name, l.macs]));
    expect(byName.get('dense')).toBe(8 * 8 * 9 * 8 * 12);
    expect(byName.get('dw')).toBe(8 * 8 * 9 * 12);
    model.dispose();
  });

  it('rejects bad arguments with the argument and its value', () => {
    expect(() => resolveFusedConv2DArgs({ filters: 0, kernelSize: 3 })).toThrow(/filters=0/);
    expect(() => resolveFusedConv2DArgs({ filters: 4, kernelSize: 3, padding: [[1, -1], [0, 0]] as never })).toThrow(/padding=\[\[1,-1\],\[0,0\]\]/);
    expect(() => resolveFusedConv2DArgs({ filters: 4, kernelSize: 3, activation: 'mish' as never })).toThrow(/activation="mish"/);
    const layer = new FusedConv2D({ filters: 5, kernelSize: 3, depthwise: true });
    expect(() => layer.apply(tf.input({ shape: [8, 8, 3] }))).toThrow(/filters=5, channels=3/);
  });
});
