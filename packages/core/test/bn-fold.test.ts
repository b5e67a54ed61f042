import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import {
  batchNormParamsOf,
  foldBatchNormIntoConv,
  foldBatchNormIntoDense,
  foldBatchNormIntoDepthwise,
  type BatchNormParams,
} from '../src/bn-fold.js';

useBackend('cpu');

/** Random BN statistics far from the identity, as trained networks have. */
function randomBn(channels: number, epsilon = 1e-5): BatchNormParams {
  return {
    gamma: tf.randomUniform([channels], 0.5, 1.5) as tf.Tensor1D,
    beta: tf.randomNormal([channels]) as tf.Tensor1D,
    movingMean: tf.randomNormal([channels]) as tf.Tensor1D,
    movingVariance: tf.randomUniform([channels], 0.5, 2) as tf.Tensor1D,
    epsilon,
  };
}

/** BatchNorm in inference mode, written out. */
function applyBn(y: tf.Tensor, bn: BatchNormParams): tf.Tensor {
  return tf.batchNorm(y, bn.movingMean, bn.movingVariance, bn.beta, bn.gamma, bn.epsilon);
}

describe('BatchNorm folding', () => {
  it('folds into a conv: conv+BN equals the folded conv', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 3]) as tf.Tensor4D;
      const kernel = tf.randomNormal([3, 3, 3, 5]) as tf.Tensor4D;
      const bias = tf.randomNormal([5]) as tf.Tensor1D;
      const bn = randomBn(5);
      const ref = applyBn(tf.add(tf.conv2d(x, kernel, 2, 'same'), bias), bn);
      const folded = foldBatchNormIntoConv(kernel, bias, bn);
      expectTensorsClose(tf.add(tf.conv2d(x, folded.kernel as tf.Tensor4D, 2, 'same'), folded.bias), ref, 1e-5);
      const noBias = foldBatchNormIntoConv(kernel, undefined, bn);
      expectTensorsClose(tf.add(tf.conv2d(x, noBias.kernel as tf.Tensor4D, 2, 'same'), noBias.bias), applyBn(tf.conv2d(x, kernel, 2, 'same'), bn), 1e-5);
    });
  });

  it('folds into a depthwise conv with a channel multiplier', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 6, 6, 4]) as tf.Tensor4D;
      const kernel = tf.randomNormal([3, 3, 4, 2]) as tf.Tensor4D;
      const bn = randomBn(8);
      const ref = applyBn(tf.depthwiseConv2d(x, kernel, 1, 'same'), bn);
      const folded = foldBatchNormIntoDepthwise(kernel, undefined, bn);
      expectTensorsClose(tf.add(tf.depthwiseConv2d(x, folded.kernel as tf.Tensor4D, 1, 'same'), folded.bias), ref, 1e-5);
    });
  });

  it('folds into a dense layer', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([3, 6]) as tf.Tensor2D;
      const kernel = tf.randomNormal([6, 4]) as tf.Tensor2D;
      const bias = tf.randomNormal([4]) as tf.Tensor1D;
      const bn = randomBn(4, 1e-3);
      const folded = foldBatchNormIntoDense(kernel, bias, bn);
      expectTensorsClose(tf.add(tf.matMul(x, folded.kernel as tf.Tensor2D), folded.bias), applyBn(tf.add(tf.matMul(x, kernel), bias), bn), 1e-5);
    });
  });

  it('reads a BatchNormalization layer, scale/center off too', () => {
    const input = tf.input({ shape: [4, 4, 3] });
    const layer = tf.layers.batchNormalization({ name: 'bn', epsilon: 1e-3, scale: false });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const [beta, mean, variance] = [tf.randomNormal([3]), tf.randomNormal([3]), tf.randomUniform([3], 0.5, 2)];
    layer.setWeights([beta, mean, variance]);
    const p = batchNormParamsOf(layer);
    expect(p.gamma).toBeUndefined();
    expect(p.epsilon).toBe(1e-3);
    tf.tidy(() => {
      const x = tf.randomNormal([1, 4, 4, 3]) as tf.Tensor4D;
      const eye = tf.reshape(tf.eye(3), [1, 1, 3, 3]) as tf.Tensor4D;
      const folded = foldBatchNormIntoConv(eye, undefined, p);
      expectTensorsClose(tf.add(tf.conv2d(x, folded.kernel as tf.Tensor4D, 1, 'valid'), folded.bias), model.predict(x) as tf.Tensor, 1e-5);
    });
  });

  it('leaks nothing and checks channel counts', async () => {
    const bn = randomBn(5);
    const kernel = tf.randomNormal([1, 1, 2, 5]) as tf.Tensor4D;
    await expectNoLeakedTensors(() => {
      const f = foldBatchNormIntoConv(kernel, undefined, bn);
      return [f.kernel, f.bias];
    });
    expect(() => foldBatchNormIntoConv(tf.zeros([1, 1, 2, 4]) as tf.Tensor4D, undefined, bn)).toThrow(/5 channels.*4 output channels/);
    expect(() => foldBatchNormIntoDepthwise(tf.zeros([3, 3, 2, 2]) as tf.Tensor4D, undefined, bn)).toThrow(/5 channels.*4 output/);
  });
});
