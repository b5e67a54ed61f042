import * as tf from '@tensorflow/tfjs';
import type { ActivationName } from '@netblocks/core';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import type { ConvPadding } from '../src/geometry.js';
import { depthwiseConv2d, separableConv2d } from '../src/op.js';
import { naiveDepthwise, naiveDepthwiseGrads, naivePointwise, torchPads, type NaiveGeometry, type Pair } from './naive.js';

useBackend('cpu');

/** TF's 'same' rule, written out: the odd extra zero goes after. */
function samePads(length: number, kernel: number, stride: number, dilation: number): Pair {
  const total = Math.max((Math.ceil(length / stride) - 1) * stride + dilation * (kernel - 1) + 1 - length, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

interface Case {
  padding: ConvPadding;
  strides: number;
  dilation: number;
  /** Expected output height and width for an 8 x 7 input and a 3 x 3 kernel. */
  out: Pair;
}

// An 8 x 7 input: even height and odd width, so 'torch' and 'same' differ at stride 2 on one axis.
const CASES: Case[] = [
  { padding: 'torch', strides: 1, dilation: 1, out: [8, 7] },
  { padding: 'torch', strides: 2, dilation: 1, out: [4, 4] },
  { padding: 'same', strides: 1, dilation: 1, out: [8, 7] },
  { padding: 'same', strides: 2, dilation: 1, out: [4, 4] },
  { padding: 'valid', strides: 1, dilation: 1, out: [6, 5] },
  { padding: 'valid', strides: 2, dilation: 1, out: [3, 3] },
  { padding: [[0, 1], [2, 0]], strides: 1, dilation: 1, out: [7, 7] },
  { padding: [[1, 0], [0, 2]], strides: 2, dilation: 1, out: [4, 4] },
  { padding: 'torch', strides: 1, dilation: 2, out: [8, 7] },
  { padding: 'same', strides: 1, dilation: 2, out: [8, 7] },
  { padding: 'valid', strides: 1, dilation: 2, out: [4, 3] },
  { padding: [[0, 3], [1, 2]], strides: 1, dilation: 2, out: [7, 6] },
  { padding: 'torch', strides: 2, dilation: 2, out: [4, 4] },
];

function geometry(c: Case, [h, w]: Pair, kernel: Pair = [3, 3]): NaiveGeometry {
  const d: Pair = [c.dilation, c.dilation];
  let pads: [Pair, Pair];
  if (c.padding === 'torch') pads = torchPads(kernel, d);
  else if (c.padding === 'same') pads = [samePads(h, kernel[0], c.strides, c.dilation), samePads(w, kernel[1], c.strides, c.dilation)];
  else if (c.padding === 'valid') pads = [[0, 0], [0, 0]];
  else pads = [[...c.padding[0]], [...c.padding[1]]];
  return { pads, strides: [c.strides, c.strides], dilation: d };
}

const label = (c: Case): string => `padding=${JSON.stringify(c.padding)} strides=${c.strides} dilation=${c.dilation}`;
const LABELLED = CASES.map((c) => [label(c), c] as const);

describe('depthwiseConv2d', () => {
  it.each(LABELLED)('gives the expected output shape for %s', (_, c) => {
    tf.tidy(() => {
      const y = depthwiseConv2d(tf.zeros([2, 8, 7, 3]), tf.zeros([3, 3, 3, 2]), c);
      expect(y.shape, label(c)).toEqual([2, c.out[0], c.out[1], 6]);
    });
  });

  it.each(LABELLED)('matches the naive reference with multiplier 2, with and without bias, for %s', (_, c) => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 7, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
      const bias = tf.randomNormal([6], 0, 1, 'float32', 3) as tf.Tensor1D;
      const expected = naiveDepthwise(x, filter, geometry(c, [8, 7]));
      expectTensorsClose(depthwiseConv2d(x, filter, c), expected, 1e-5);
      expectTensorsClose(depthwiseConv2d(x, filter, { ...c, bias }), tf.add(expected, bias), 1e-5);
    });
  });

  it('takes non-square kernels, strides and dilations', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 9, 10, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 5, 2, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
      const y = depthwiseConv2d(x, filter, { strides: [2, 1], dilation: [1, 2], padding: 'torch' });
      const expected = naiveDepthwise(x, filter, { pads: [[1, 1], [4, 4]], strides: [2, 1], dilation: [1, 2] });
      expect(y.shape).toEqual([1, 5, 10, 2]);
      expectTensorsClose(y, expected, 1e-5);
    });
  });

  it("pads as PyTorch in 'torch' mode: tf.pad + 'valid', unlike TF 'same' at stride 2 on even inputs", () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 6) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 4, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
      const torch = depthwiseConv2d(x, filter, { strides: 2, padding: 'torch' });
      const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      expectTensorsClose(torch, tf.depthwiseConv2d(padded, filter, 2, 'valid'), 1e-6);
      const same = depthwiseConv2d(x, filter, { strides: 2, padding: 'same' });
      expectTensorsClose(same, tf.depthwiseConv2d(x, filter, 2, 'same'), 1e-6);
      expect(tf.max(tf.abs(tf.sub(torch, same))).dataSync()[0]).toBeGreaterThan(0.1);
    });
  });

  const ACTIVATIONS: ActivationName[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'tanh', 'swish', 'hardSigmoid', 'gelu'];
  it.each(ACTIVATIONS)('applies %s after the bias, as tf.layers.activation does', (activation) => {
    tf.tidy(() => {
      const x = tf.mul(tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 8), 4) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 2, 2], 0, 1, 'float32', 9) as tf.Tensor4D;
      const bias = tf.randomNormal([4], 0, 1, 'float32', 10) as tf.Tensor1D;
      // The dilated path does not fuse: both must agree with the activation layer.
      for (const dilation of [1, 2]) {
        const plain = tf.add(depthwiseConv2d(x, filter, { dilation }), bias);
        const expected = tf.layers.activation({ activation: activation as 'relu' }).apply(plain) as tf.Tensor;
        expectTensorsClose(depthwiseConv2d(x, filter, { dilation, bias, activation }), expected, 1e-5);
      }
    });
  });

  it.each(LABELLED)('has the naive reference gradients for x and filter for %s', (_, c) => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 8, 7, 2], 0, 1, 'float32', 11) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 2, 2], 0, 1, 'float32', 12) as tf.Tensor4D;
      const upstream = tf.randomNormal([1, c.out[0], c.out[1], 4], 0, 1, 'float32', 13);
      const [dx, dFilter] = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.mul(depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, c), upstream)),
      )([x, filter]);
      const expected = naiveDepthwiseGrads(x, filter, upstream, geometry(c, [8, 7]));
      expectTensorsClose(dx as tf.Tensor, expected.dx, 1e-5);
      expectTensorsClose(dFilter as tf.Tensor, expected.dFilter, 1e-5);
    });
  });

  it('differentiates the fused bias and activation as the unfused composition', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 14) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 3, 1], 0, 1, 'float32', 15) as tf.Tensor4D;
      const bias = tf.randomNormal([3], 0, 1, 'float32', 16) as tf.Tensor1D;
      const upstream = tf.randomNormal([2, 3, 3, 3], 0, 1, 'float32', 17);
      const loss = (conv: (a: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor) => (a: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(conv(a as tf.Tensor4D, f as tf.Tensor4D, b as tf.Tensor1D), upstream));
      const fused = tf.grads(loss((a, f, b) => depthwiseConv2d(a, f, { strides: 2, bias: b, activation: 'relu6' })))([x, filter, bias]);
      const padded = (a: tf.Tensor4D) => tf.pad(a, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const reference = tf.grads(loss((a, f, b) => tf.relu6(tf.add(tf.depthwiseConv2d(padded(a), f, 2, 'valid'), b))))([x, filter, bias]);
      fused.forEach((g, i) => expectTensorsClose(g, reference[i] as tf.Tensor, 1e-5));
    });
  });

  it('names the argument and the value in its errors', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 5, 5, 3]) as tf.Tensor4D;
      const filter = tf.zeros([3, 3, 3, 1]) as tf.Tensor4D;
      expect(() => depthwiseConv2d(x, tf.zeros([3, 3, 4, 1]) as tf.Tensor4D)).toThrow('got filter.shape=[3, 3, 4, 1], x.shape=[1, 5, 5, 3]');
      expect(() => depthwiseConv2d(tf.zeros([5, 5, 3]) as unknown as tf.Tensor4D, filter)).toThrow('`x` must be rank 4 (got x.shape=[5, 5, 3])');
      expect(() => depthwiseConv2d(x, filter, { strides: 0 })).toThrow('`strides` must be a positive integer or a pair of them (got strides=0)');
      expect(() => depthwiseConv2d(x, filter, { dilation: [1, 1.5] })).toThrow('(got dilation=[1,1.5])');
      expect(() => depthwiseConv2d(x, tf.zeros([2, 2, 3, 1]) as tf.Tensor4D)).toThrow(
        "`padding` 'torch' needs an odd dilated kernel (got kernelSize=[2,2], dilation=[1,1])",
      );
      expect(() => depthwiseConv2d(x, filter, { padding: 'full' as 'same' })).toThrow('(got padding="full")');
      expect(() => depthwiseConv2d(x, filter, { padding: [[1, -1], [0, 0]] })).toThrow('(got padding=[[1,-1],[0,0]])');
      expect(() => depthwiseConv2d(x, filter, { bias: tf.zeros([4]) as tf.Tensor1D })).toThrow('(got bias.shape=[4], channels=3)');
      expect(() => depthwiseConv2d(x, filter, { activation: 'mish' as 'relu' })).toThrow('(got activation="mish")');
      expect(() => depthwiseConv2d(x, tf.zeros([7, 7, 3, 1]) as tf.Tensor4D, { padding: 'valid' })).toThrow(
        'depthwiseConv2d: the input height 5 padded by 0+0 is smaller than the dilated kernel (kernelSize=7, dilation=1)',
      );
    });
  });

  it('leaks no tensors, its dilated gradient included', () => {
    const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 2, 2]) as tf.Tensor4D;
    const bias = tf.zeros([4]) as tf.Tensor1D;
    expectNoLeakedTensors(() => depthwiseConv2d(x, filter, { bias, activation: 'swish' }));
    expectNoLeakedTensors(() => depthwiseConv2d(x, filter, { dilation: 2, strides: 2 }));
    expectNoLeakedTensors(() => tf.grads((a: tf.Tensor, f: tf.Tensor) => depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, { dilation: 2 }).sum())([x, filter]));
    tf.dispose([x, filter, bias]);
  });
});

describe('separableConv2d', () => {
  it('is the depthwise conv then the pointwise conv, nothing between', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 7, 3], 0, 1, 'float32', 20) as tf.Tensor4D;
      const depthwise = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 21) as tf.Tensor4D;
      const pointwise = tf.randomNormal([1, 1, 6, 5], 0, 1, 'float32', 22) as tf.Tensor4D;
      const bias = tf.randomNormal([5], 0, 1, 'float32', 23) as tf.Tensor1D;
      for (const c of CASES) {
        const expected = naivePointwise(naiveDepthwise(x, depthwise, geometry(c, [8, 7])), pointwise);
        const y = separableConv2d(x, depthwise, pointwise, { ...c, bias, activation: 'relu' });
        expect(y.shape, label(c)).toEqual([2, c.out[0], c.out[1], 5]);
        expectTensorsClose(y, tf.relu(tf.add(expected, bias)), 1e-5);
      }
    });
  });

  it('has the gradients of the unfused composition for every input', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 24) as tf.Tensor4D;
      const depthwise = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 25) as tf.Tensor4D;
      const pointwise = tf.randomNormal([1, 1, 6, 4], 0, 1, 'float32', 26) as tf.Tensor4D;
      const bias = tf.randomNormal([4], 0, 1, 'float32', 27) as tf.Tensor1D;
      const upstream = tf.randomNormal([1, 4, 4, 4], 0, 1, 'float32', 28);
      type Conv = (a: tf.Tensor4D, d: tf.Tensor4D, p: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor;
      const loss = (conv: Conv) => (a: tf.Tensor, d: tf.Tensor, p: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(conv(a as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, b as tf.Tensor1D), upstream));
      const ours = tf.grads(loss((a, d, p, b) => separableConv2d(a, d, p, { strides: 2, bias: b, activation: 'elu' })))([x, depthwise, pointwise, bias]);
      const reference = tf.grads(
        loss((a, d, p, b) => {
          const padded = tf.pad(a, [[0, 0], [1, 1], [1, 1], [0, 0]]);
          return tf.elu(tf.add(tf.conv2d(tf.depthwiseConv2d(padded, d, 2, 'valid'), p, 1, 'valid'), b));
        }),
      )([x, depthwise, pointwise, bias]);
      ours.forEach((g, i) => expectTensorsClose(g, reference[i] as tf.Tensor, 1e-5));
    });
  });

  it('names the argument and the value in its errors', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 5, 5, 3]) as tf.Tensor4D;
      const depthwise = tf.zeros([3, 3, 3, 2]) as tf.Tensor4D;
      expect(() => separableConv2d(x, depthwise, tf.zeros([1, 1, 3, 4]) as tf.Tensor4D)).toThrow(
        '`pointwiseFilter` must be [1, 1, Cin * m, Cout] = [1, 1, 6, Cout] (got pointwiseFilter.shape=[1, 1, 3, 4], depthwiseFilter.shape=[3, 3, 3, 2])',
      );
      expect(() => separableConv2d(x, depthwise, tf.zeros([1, 1, 6, 4]) as tf.Tensor4D, { bias: tf.zeros([6]) as tf.Tensor1D })).toThrow(
        '(got bias.shape=[6], channels=4)',
      );
    });
  });

  it('leaks no tensors', () => {
    const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D;
    const depthwise = tf.randomNormal([3, 3, 2, 1]) as tf.Tensor4D;
    const pointwise = tf.randomNormal([1, 1, 2, 3]) as tf.Tensor4D;
    expectNoLeakedTensors(() => separableConv2d(x, depthwise, pointwise, { activation: 'gelu', dilation: 2 }));
    tf.dispose([x, depthwise, pointwise]);
  });
});
