import * as tf from '@tensorflow/tfjs';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { channelShuffle, channelShufflePermutation } from '../src/op.js';
import { paperShufflePermutation as paperPermutation } from './helpers/weights.js';

useBackend('cpu');

/** Gathers channels of a channels-last tensor by `perm`: y[..., j] = x[..., perm[j]], element by element. */
function permuteChannels(x: tf.Tensor, perm: readonly number[]): tf.Tensor {
  const channels = perm.length;
  const values = x.dataSync();
  const out = new Float32Array(values.length);
  for (let base = 0; base < values.length; base += channels) {
    for (let j = 0; j < channels; j++) out[base + j] = values[base + (perm[j] as number)] as number;
  }
  return tf.tensor(out, x.shape);
}

function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((source, j) => (inv[source] = j));
  return inv;
}

describe('channelShufflePermutation', () => {
  it("is the paper's interleaving for 'paper' and its inverse for 'megvii'", () => {
    expect(channelShufflePermutation(6, 2)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(channelShufflePermutation(6, 3, 'paper')).toEqual([0, 2, 4, 1, 3, 5]);
    for (const [channels, groups] of [[12, 3], [60, 3], [96, 8], [24, 4], [10, 2]] as const) {
      const paper = channelShufflePermutation(channels, groups, 'paper');
      expect(paper).toEqual(paperPermutation(channels, groups));
      expect(channelShufflePermutation(channels, groups, 'megvii')).toEqual(inverse(paper));
    }
  });

  it("gives 'megvii' with g groups as 'paper' with C/g groups", () => {
    expect(channelShufflePermutation(60, 3, 'megvii')).toEqual(channelShufflePermutation(60, 20, 'paper'));
  });

  it('is the identity for one group', () => {
    expect(channelShufflePermutation(5, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(channelShufflePermutation(5, 1, 'megvii')).toEqual([0, 1, 2, 3, 4]);
  });

  it('names the argument and the value in its errors', () => {
    expect(() => channelShufflePermutation(10, 4)).toThrow('`groups` must divide the channels (got channels=10, groups=4)');
    expect(() => channelShufflePermutation(10, 0)).toThrow('(got groups=0)');
    expect(() => channelShufflePermutation(0, 1)).toThrow('(got channels=0)');
    expect(() => channelShufflePermutation(4, 2, 'torch' as never)).toThrow(`(got order="torch")`);
  });
});

describe('channelShuffle', () => {
  it('keeps the shape, for any rank', () => {
    tf.tidy(() => {
      expect(channelShuffle(tf.zeros([2, 5, 5, 12]), 3).shape).toEqual([2, 5, 5, 12]);
      expect(channelShuffle(tf.zeros([12]), 4, 'megvii').shape).toEqual([12]);
      expect(channelShuffle(tf.zeros([3, 2, 6]), 2).shape).toEqual([3, 2, 6]);
    });
  });

  it('applies the explicit permutation, in both orders', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4, 24], 0, 1, 'float32', 7);
      for (const groups of [2, 3, 4, 8]) {
        const paper = paperPermutation(24, groups);
        expectTensorsClose(channelShuffle(x, groups, 'paper'), permuteChannels(x, paper), 0);
        expectTensorsClose(channelShuffle(x, groups, 'megvii'), permuteChannels(x, inverse(paper)), 0);
        expectTensorsClose(channelShuffle(x, groups), permuteChannels(x, channelShufflePermutation(24, groups)), 0);
      }
    });
  });

  it("undoes 'paper' with 'megvii' and the other way round", () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 2, 2, 60], 0, 1, 'float32', 3);
      expectTensorsClose(channelShuffle(channelShuffle(x, 3, 'paper'), 3, 'megvii'), x, 0);
      expectTensorsClose(channelShuffle(channelShuffle(x, 3, 'megvii'), 3, 'paper'), x, 0);
    });
  });

  it('is the identity for one group, and for C groups', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 2, 2, 6], 0, 1, 'float32', 9);
      expectTensorsClose(channelShuffle(x, 1), x, 0);
      expectTensorsClose(channelShuffle(x, 6, 'paper'), x, 0);
      expectTensorsClose(channelShuffle(x, 6, 'megvii'), x, 0);
    });
  });

  it('has the inverse shuffle as its gradient', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 3, 12], 0, 1, 'float32', 11);
      const dy = tf.randomNormal([2, 3, 3, 12], 0, 1, 'float32', 12);
      for (const order of ['paper', 'megvii'] as const) {
        const dx = tf.grad((a: tf.Tensor) => channelShuffle(a, 3, order))(x, dy);
        // y[j] = x[perm[j]], so dx[perm[j]] = dy[j]: dx gathers dy by the inverse permutation.
        expectTensorsClose(dx, permuteChannels(dy, inverse(channelShufflePermutation(12, 3, order))), 0);
        expectTensorsClose(dx, channelShuffle(dy, 3, order === 'paper' ? 'megvii' : 'paper'), 0);
      }
    });
  });

  it('names the argument and the value in its errors', () => {
    tf.tidy(() => {
      expect(() => channelShuffle(tf.zeros([1, 2, 2, 10]), 4)).toThrow(
        'channelShuffle: `groups` must divide the channels (got channels=10, groups=4)',
      );
      expect(() => channelShuffle(tf.zeros([1, 2, 2, 10]), 2.5)).toThrow('(got groups=2.5)');
      expect(() => channelShuffle(tf.zeros([1, 2, 2, 10]), 2, 'inverse' as never)).toThrow('(got order="inverse")');
      expect(() => channelShuffle(tf.scalar(1), 1)).toThrow('`x` must have a channel axis (got x.shape=[])');
    });
  });

  it('leaks no tensors', () => {
    const x = tf.ones([1, 4, 4, 6]);
    expectNoLeakedTensors(() => channelShuffle(x, 3));
    expectNoLeakedTensors(() => channelShuffle(x, 3, 'megvii'));
    expectNoLeakedTensors(() => channelShuffle(x, 1));
    expectNoLeakedTensors(() => tf.grad((a: tf.Tensor) => channelShuffle(a, 2))(x));
    x.dispose();
  });
});
