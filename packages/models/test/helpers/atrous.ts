import * as tf from '@tensorflow/tfjs';
import { maxRelativeDifference } from '@netblocks/test-utils';
import { expect } from 'vitest';

/**
 * The atrous identity: without global pooling inside (no SE), the dilated network computes the
 * undilated one on a finer grid, so its last map sampled every `32 / outputStride` pixels is the
 * stride-32 map (on a `size` x `size` input). A wrong rate anywhere (the first block of a dilated
 * stage included), or a weight loaded into the wrong place, breaks it.
 */
export function expectAtrousEquivalence(base: tf.LayersModel, dilated: tf.LayersModel, outputStride: 8 | 16, size: number): void {
  tf.tidy(() => {
    const x = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 7);
    const coarse = base.predict(x) as tf.Tensor4D;
    const fine = dilated.predict(x) as tf.Tensor4D;
    const step = 32 / outputStride;
    const [, h, w, c] = coarse.shape;
    const sampled = tf.stridedSlice(fine, [0, 0, 0, 0], [1, h * step, w * step, c], [1, step, step, 1]);
    expect(sampled.shape).toEqual(coarse.shape);
    expect(maxRelativeDifference(sampled, coarse)).toBeLessThan(1e-4);
  });
}
