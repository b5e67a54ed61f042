import * as tf from '@tensorflow/tfjs';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { conv2DBackpropFilterWasm, depthwiseBackpropFilterWasm, depthwiseBackpropInputWasm } from '../src/index.js';
import '../src/register.js';
import { values, valuesOn } from './helpers.js';

useBackend('wasm');

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

const PADS: [string, Pad][] = [
  ['same', 'same'],
  ['valid', 'valid'],
  // Asymmetric, and more than a 1x1 kernel needs: negative "full" padding on the way back.
  ['explicit', [[0, 0], [1, 2], [2, 1], [0, 0]]],
];

/** Every kernel size, stride and padding the blocks use, and a few they don't. */
const CASES = [1, 3, 5, 7].flatMap((kernel) =>
  [1, 2].flatMap((stride) => PADS.map(([padName, pad]) => ({ kernel, stride, padName, pad }))),
);

const TOLERANCE = 1e-4;
const X_SHAPE = [2, 9, 10, 3] as const;

/** d/dx and d/dfilter of sum(conv(x, filter)^2) on `backend` (the squared loss makes dy vary). */
function gradients(backend: 'cpu' | 'wasm', conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor, filterShape: number[]) {
  return valuesOn(backend, () => {
    const x = tf.tensor4d(values(tf.util.sizeFromShape([...X_SHAPE]), 1), [...X_SHAPE]);
    const filter = tf.tensor4d(values(tf.util.sizeFromShape(filterShape), 2), filterShape as [number, number, number, number]);
    return tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(conv(a as tf.Tensor4D, f as tf.Tensor4D))))([x, filter]);
  });
}

async function expectSameGradients(conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor, filterShape: number[]) {
  const [dxWasm, dfWasm] = await gradients('wasm', conv, filterShape);
  const [dxCpu, dfCpu] = await gradients('cpu', conv, filterShape);
  expect(maxRelativeDifference(dxWasm as Float32Array, dxCpu as Float32Array), 'dx').toBeLessThanOrEqual(TOLERANCE);
  expect(maxRelativeDifference(dfWasm as Float32Array, dfCpu as Float32Array), 'dfilter').toBeLessThanOrEqual(TOLERANCE);
}

describe('the register entry', () => {
  it('puts this package\'s kernels behind the wasm gradients', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(conv2DBackpropFilterWasm);
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')?.kernelFunc).toBe(depthwiseBackpropFilterWasm);
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')?.kernelFunc).toBe(depthwiseBackpropInputWasm);
  });
});

describe('conv2d gradients on wasm equal the cpu backend\'s', () => {
  it.each(CASES)('kernel $kernel, stride $stride, padding $padName', async ({ kernel, stride, pad }) => {
    await expectSameGradients((x, f) => tf.conv2d(x, f, stride, pad), [kernel, kernel, 3, 4]);
  });

  it('with a rectangular kernel and unequal strides', async () => {
    await expectSameGradients((x, f) => tf.conv2d(x, f, [2, 1], 'same'), [3, 5, 3, 2]);
  });
});

describe('depthwise conv gradients on wasm equal the cpu backend\'s', () => {
  for (const multiplier of [1, 2]) {
    it.each(CASES)(`kernel $kernel, stride $stride, padding $padName, depth multiplier ${multiplier}`, async ({ kernel, stride, pad }) => {
      await expectSameGradients((x, f) => tf.depthwiseConv2d(x, f, stride, pad), [kernel, kernel, 3, multiplier]);
    });
  }

  it('with a rectangular kernel and unequal strides', async () => {
    await expectSameGradients((x, f) => tf.depthwiseConv2d(x, f, [1, 2], 'valid'), [5, 3, 3, 2]);
  });
});
