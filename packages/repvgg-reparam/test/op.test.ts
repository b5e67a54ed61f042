import * as tf from '@tensorflow/tfjs';
import type { BatchNormParams } from '@netblocks/core';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { fuseBranches, identityKernel, padKernelToSize } from '../src/op.js';
import { naiveBatchNorm, naiveGroupConv } from './helpers.js';

useBackend('cpu');

/** BatchNorm parameters far from the identity (seeded), so that a wrong fold shows. */
function randomBatchNorm(channels: number, seed: number): BatchNormParams {
  return {
    gamma: tf.randomUniform([channels], 0.5, 1.5, 'float32', seed),
    beta: tf.randomUniform([channels], -0.5, 0.5, 'float32', seed + 1),
    movingMean: tf.randomUniform([channels], -0.5, 0.5, 'float32', seed + 2),
    movingVariance: tf.randomUniform([channels], 0.5, 2, 'float32', seed + 3),
    epsilon: 1e-5,
  };
}

describe('identityKernel', () => {
  it('puts the 1 of output channel i at [centre, centre, i % (C/groups), i]', () => {
    const kernel = identityKernel(8, 4, 3);
    expect(kernel.shape).toEqual([3, 3, 2, 8]);
    const values = kernel.arraySync();
    const ones: number[][] = [];
    values.forEach((row, h) => row.forEach((col, w) => col.forEach((inputs, c) => inputs.forEach((v, o) => v !== 0 && ones.push([h, w, c, o, v])))));
    expect(ones.sort((a, b) => (a[3] as number) - (b[3] as number))).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [1, 1, i % 2, i, 1]));
    kernel.dispose();
  });

  it('is the identity as a conv, grouped or not', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 5, 5, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
      for (const groups of [1, 2, 4, 8]) {
        expectTensorsClose(naiveGroupConv(x, identityKernel(8, groups, 3), groups, 1, 1), x, 0);
        expectTensorsClose(naiveGroupConv(x, identityKernel(8, groups, 1), groups, 1, 0), x, 0);
      }
    });
  });

  it('rejects groups that do not divide the channels and even sizes, naming the values', () => {
    expect(() => identityKernel(6, 4)).toThrow('`groups` must divide `channels` (got channels=6, groups=4)');
    expect(() => identityKernel(4, 1, 2)).toThrow('(got kernelSize=2)');
  });
});

describe('padKernelToSize', () => {
  it('puts a 1x1 kernel at the centre of a 3x3 one, the same conv with one more pixel of padding', () => {
    tf.tidy(() => {
      const k1 = tf.randomNormal([1, 1, 4, 6], 0, 1, 'float32', 5) as tf.Tensor4D;
      const k3 = padKernelToSize(k1, 3);
      expect(k3.shape).toEqual([3, 3, 4, 6]);
      expectTensorsClose(tf.slice(k3, [1, 1, 0, 0], [1, 1, 4, 6]), k1, 0);
      expect(tf.sum(tf.abs(k3)).dataSync()[0]).toBeCloseTo(tf.sum(tf.abs(k1)).dataSync()[0] as number, 4);
      const x = tf.randomNormal([1, 6, 6, 4], 0, 1, 'float32', 6) as tf.Tensor4D;
      for (const strides of [1, 2]) expectTensorsClose(naiveGroupConv(x, k3, 1, strides, 1), naiveGroupConv(x, k1, 1, strides, 0), 1e-6);
      expectTensorsClose(padKernelToSize(k1, 5), tf.pad(k1, [[2, 2], [2, 2], [0, 0], [0, 0]]), 0);
    });
  });

  it('rejects a kernel wider than the target or an even target', () => {
    tf.tidy(() => {
      expect(() => padKernelToSize(tf.zeros([3, 3, 1, 1]), 1)).toThrow('(got kernel shape [3,3,1,1], kernelSize=1)');
      expect(() => padKernelToSize(tf.zeros([1, 1, 1, 1]), 4)).toThrow('(got kernelSize=4)');
    });
  });
});

describe('fuseBranches', () => {
  it('gives the one conv that equals the sum of BN(conv3x3), BN(conv1x1) and BN(x), for groups 1, 2 and 4', () => {
    for (const groups of [1, 2, 4]) {
      tf.tidy(() => {
        const channels = 8;
        const x = tf.randomNormal([2, 6, 6, channels], 0, 1, 'float32', 10 + groups) as tf.Tensor4D;
        const k3 = tf.randomNormal([3, 3, channels / groups, channels], 0, 0.3, 'float32', 20) as tf.Tensor4D;
        const k1 = tf.randomNormal([1, 1, channels / groups, channels], 0, 0.3, 'float32', 21) as tf.Tensor4D;
        const [bn3, bn1, bnId] = [randomBatchNorm(channels, 30), randomBatchNorm(channels, 40), randomBatchNorm(channels, 50)];
        const branches = [
          { kind: 'conv', kernel: k3, batchNorm: bn3 },
          { kind: 'conv', kernel: k1, batchNorm: bn1 },
          { kind: 'identity', batchNorm: bnId },
        ] as const;
        const { kernel, bias } = fuseBranches(branches, { groups });
        expect(kernel.shape).toEqual([3, 3, channels / groups, channels]);
        const expected = tf.addN([
          naiveBatchNorm(naiveGroupConv(x, k3, groups, 1, 1), bn3),
          naiveBatchNorm(naiveGroupConv(x, k1, groups, 1, 0), bn1),
          naiveBatchNorm(x, bnId),
        ]);
        expectTensorsClose(tf.add(naiveGroupConv(x, kernel as tf.Tensor4D, groups, 1, 1), bias), expected, 1e-5);
      });
    }
  });

  it('folds a conv bias through its BN and adds plain branches as they are', () => {
    tf.tidy(() => {
      const k3 = tf.randomNormal([3, 3, 2, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const b3 = tf.tensor1d([0.5, -1, 2]);
      const bn = randomBatchNorm(3, 60);
      const k1 = tf.randomNormal([1, 1, 2, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const { kernel, bias } = fuseBranches([
        { kind: 'conv', kernel: k3, bias: b3, batchNorm: bn },
        { kind: 'conv', kernel: k1 },
      ]);
      const sigma = tf.sqrt(tf.add(bn.movingVariance, bn.epsilon));
      const scale = tf.div(bn.gamma as tf.Tensor, sigma);
      // b' = beta + (b - mu) * gamma / sigma; the plain 1x1 branch adds no bias.
      expectTensorsClose(bias, tf.add(bn.beta as tf.Tensor, tf.mul(tf.sub(b3, bn.movingMean), scale)), 1e-6);
      expectTensorsClose(kernel, tf.add(tf.mul(k3, scale), tf.pad(k1, [[1, 1], [1, 1], [0, 0], [0, 0]])), 1e-6);
    });
  });

  it('is differentiable: d sum(W\') / d W is gamma / sigma on every tap', () => {
    tf.tidy(() => {
      const bn = randomBatchNorm(4, 70);
      const k3 = tf.randomNormal([3, 3, 4, 4], 0, 1, 'float32', 3);
      const k1 = tf.randomNormal([1, 1, 4, 4], 0, 1, 'float32', 4);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(fuseBranches([{ kind: 'conv', kernel: a as tf.Tensor4D, batchNorm: bn }, { kind: 'conv', kernel: b as tf.Tensor4D, batchNorm: bn }, { kind: 'identity' }]).kernel),
      )([k3, k1]);
      const scale = tf.div(bn.gamma as tf.Tensor, tf.sqrt(tf.add(bn.movingVariance, bn.epsilon)));
      expectTensorsClose(grads[0] as tf.Tensor, tf.broadcastTo(scale, [3, 3, 4, 4]), 1e-6);
      expectTensorsClose(grads[1] as tf.Tensor, tf.broadcastTo(scale, [1, 1, 4, 4]), 1e-6);
    });
  });

  it('never returns a tensor it was given', () => {
    tf.tidy(() => {
      const k = tf.ones([3, 3, 1, 2]) as tf.Tensor4D;
      const b = tf.ones([2]) as tf.Tensor1D;
      const fused = fuseBranches([{ kind: 'conv', kernel: k, bias: b }]);
      expect(fused.kernel).not.toBe(k);
      expect(fused.bias).not.toBe(b);
      expectTensorsClose(fused.kernel, k, 0);
    });
  });

  it('rejects what cannot be one conv, naming the values', () => {
    tf.tidy(() => {
      const k = (shape: [number, number, number, number]) => tf.zeros(shape) as tf.Tensor4D;
      expect(() => fuseBranches([])).toThrow('(got 0)');
      expect(() => fuseBranches([{ kind: 'conv', kernel: k([3, 3, 4, 8]) }, { kind: 'identity' }])).toThrow('an identity branch needs Cin == Cout (got Cin=4, Cout=8, groups=1)');
      expect(() => fuseBranches([{ kind: 'conv', kernel: k([3, 3, 4, 8]) }, { kind: 'conv', kernel: k([1, 1, 2, 8]) }])).toThrow('[Cin/groups, Cout]');
      expect(() => fuseBranches([{ kind: 'conv', kernel: k([3, 3, 2, 6]) }], { groups: 4 })).toThrow('(got channels=6, groups=4)');
      expect(() => fuseBranches([{ kind: 'conv', kernel: k([3, 1, 2, 6]) }])).toThrow('(got kernel shape [3,1,2,6], kernelSize=3)');
      expect(() => fuseBranches([{ kind: 'identity' }])).toThrow('(got channels=undefined)');
    });
  });

  it('leaks no tensors', () => {
    const bn = randomBatchNorm(8, 80);
    const k3 = tf.randomNormal([3, 3, 4, 8]) as tf.Tensor4D;
    const k1 = tf.randomNormal([1, 1, 4, 8]) as tf.Tensor4D;
    expectNoLeakedTensors(() => fuseBranches([{ kind: 'conv', kernel: k3, batchNorm: bn }, { kind: 'conv', kernel: k1, batchNorm: bn }, { kind: 'identity', batchNorm: bn }], { groups: 2 }));
    expectNoLeakedTensors(() => [identityKernel(8, 2), padKernelToSize(k1, 3)]);
    tf.dispose([k3, k1, bn.gamma as tf.Tensor, bn.beta as tf.Tensor, bn.movingMean, bn.movingVariance]);
  });
});
