import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { squeezeExcite } from '../src/op.js';
import { naiveSqueezeExcite, toNested } from './naive.js';

// The backend the library defaults to in Node; the forward pass and the SE's own gradients
// (avg-pool, matmul, element-wise) all have wasm kernels.
useBackend('wasm');

describe('squeezeExcite on wasm', () => {
  it('runs on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('matches the loop reference, forward and backward', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 5, 8], 0, 1, 'float32', 1);
      const w1 = tf.randomNormal([1, 1, 8, 2], 0, 0.5, 'float32', 2);
      const b1 = tf.randomNormal([2], 0, 0.5, 'float32', 3) as tf.Tensor1D;
      const w2 = tf.randomNormal([1, 1, 2, 8], 0, 0.5, 'float32', 4);
      const b2 = tf.randomNormal([8], 0, 0.5, 'float32', 5) as tf.Tensor1D;
      const weights = { reduceKernel: w1, reduceBias: b1, expandKernel: w2, expandBias: b2 };
      const naive = naiveSqueezeExcite(
        x.dataSync(),
        x.shape,
        { w1: toNested(w1, 8, 2), b1: Array.from(b1.dataSync()), w2: toNested(w2, 2, 8), b2: Array.from(b2.dataSync()) },
        'swish',
        'hardSigmoidTorch',
      );
      expectTensorsClose(squeezeExcite(x, weights, { activation: 'swish', gate: 'hardSigmoidTorch' }), tf.tensor(naive, x.shape), 1e-5);
      // Gradient w.r.t. the input: the same on wasm as the composition of plain ops.
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(squeezeExcite(a, weights))))(x);
      const reference = tf.grad((a: tf.Tensor) => {
        const s = tf.sigmoid(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.mean(a, [1, 2]) as tf.Tensor2D, w1.reshape([8, 2])), b1)), w2.reshape([2, 8])), b2));
        return tf.sum(tf.square(tf.mul(a, tf.reshape(s, [2, 1, 1, 8]))));
      })(x);
      expectTensorsClose(g, reference, 1e-5);
    });
  });
});
