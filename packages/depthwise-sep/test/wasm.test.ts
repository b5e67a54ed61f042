// Forward passes on the wasm backend (Node's default in netblocks): the same numbers as the naive
// reference and as the cpu backend. The wasm backend has no depthwise gradient kernels (training
// there needs @netblocks/wasm-train), so only forward passes are checked here.
import * as tf from '@tensorflow/tfjs';
import type { ActivationName } from '@netblocks/core';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { mobilenetV1Block } from '../src/mobilenet-v1-block.js';
import { depthwiseConv2d, separableConv2d } from '../src/op.js';
import { xceptionBlock } from '../src/xception.js';
import { modelOf, randomizeBatchNorms } from './helpers.js';
import { naiveDepthwise, naivePointwise, torchPads, type NaiveGeometry } from './naive.js';
import type { ConvPadding } from '../src/geometry.js';

useBackend('wasm');

const CASES: Array<[string, { padding: ConvPadding; strides: number; dilation: number }, NaiveGeometry]> = [
  ['torch, stride 1', { padding: 'torch', strides: 1, dilation: 1 }, { pads: torchPads([3, 3]), strides: [1, 1], dilation: [1, 1] }],
  ['torch, stride 2', { padding: 'torch', strides: 2, dilation: 1 }, { pads: torchPads([3, 3]), strides: [2, 2], dilation: [1, 1] }],
  // 'same' on 8 x 7 at stride 2: total 1 row (after) and 2 columns (1 + 1).
  ['same, stride 2', { padding: 'same', strides: 2, dilation: 1 }, { pads: [[0, 1], [1, 1]], strides: [2, 2], dilation: [1, 1] }],
  ['valid', { padding: 'valid', strides: 1, dilation: 1 }, { pads: [[0, 0], [0, 0]], strides: [1, 1], dilation: [1, 1] }],
  ['explicit', { padding: [[0, 2], [1, 0]], strides: 2, dilation: 1 }, { pads: [[0, 2], [1, 0]], strides: [2, 2], dilation: [1, 1] }],
  ['torch, dilation 2', { padding: 'torch', strides: 1, dilation: 2 }, { pads: torchPads([3, 3], [2, 2]), strides: [1, 1], dilation: [2, 2] }],
  ['torch, stride 2, dilation 2', { padding: 'torch', strides: 2, dilation: 2 }, { pads: torchPads([3, 3], [2, 2]), strides: [2, 2], dilation: [2, 2] }],
];

describe('on the wasm backend', () => {
  it('runs on wasm', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it.each(CASES)('depthwiseConv2d matches the naive reference (%s)', (_, options, geometry) => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 7, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
      const bias = tf.randomNormal([6], 0, 1, 'float32', 3) as tf.Tensor1D;
      const expected = tf.add(naiveDepthwise(x, filter, geometry), bias);
      expectTensorsClose(depthwiseConv2d(x, filter, { ...options, bias }), expected, 1e-5);
    });
  });

  const ACTIVATIONS: ActivationName[] = ['relu', 'relu6', 'elu', 'sigmoid', 'swish', 'gelu'];
  it.each(ACTIVATIONS)('fuses or applies %s as the activation layer does', (activation) => {
    tf.tidy(() => {
      const x = tf.mul(tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 4), 4) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 2, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
      const bias = tf.randomNormal([2], 0, 1, 'float32', 6) as tf.Tensor1D;
      const plain = tf.add(naiveDepthwise(x, filter, { pads: torchPads([3, 3]), strides: [1, 1], dilation: [1, 1] }), bias);
      const expected = tf.layers.activation({ activation: activation as 'relu' }).apply(plain) as tf.Tensor;
      expectTensorsClose(depthwiseConv2d(x, filter, { bias, activation }), expected, 1e-5);
    });
  });

  it('separableConv2d matches the naive reference', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
      const depthwise = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 8) as tf.Tensor4D;
      const pointwise = tf.randomNormal([1, 1, 6, 4], 0, 1, 'float32', 9) as tf.Tensor4D;
      const expected = naivePointwise(naiveDepthwise(x, depthwise, { pads: torchPads([3, 3]), strides: [2, 2], dilation: [1, 1] }), pointwise);
      expectTensorsClose(separableConv2d(x, depthwise, pointwise, { strides: 2, activation: 'relu' }), tf.relu(expected), 1e-5);
    });
  });

  it.each([
    ['mobilenetV1Block', () => modelOf(mobilenetV1Block({ name: 'b', filters: 8, strides: 2, depthMultiplier: 2 }), [8, 8, 4])],
    ['xceptionBlock', () => modelOf(xceptionBlock({ name: 'b', filters: 8, reps: 2, strides: 2 }), [8, 8, 4])],
  ])('%s predicts on wasm what it predicts on cpu', async (_, build) => {
    const model = build();
    randomizeBatchNorms(model);
    const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 10);
    const onWasm = model.predict(x) as tf.Tensor;
    await tf.setBackend('cpu');
    try {
      const onCpu = model.predict(x) as tf.Tensor;
      expectTensorsClose(onWasm, onCpu, 1e-5);
      tf.dispose([onCpu]);
    } finally {
      await tf.setBackend('wasm');
    }
    tf.dispose([x, onWasm]);
    model.dispose();
  });
});
