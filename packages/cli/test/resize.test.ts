import * as tf from '@tensorflow/tfjs';
import { useBackend, expectTensorsClose } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { fitImage, fitImageSet } from '../src/index.js';
import { shiftImage } from '../src/train/augment.js';

useBackend('cpu');

describe('fitting images to the model input', () => {
  it("upscales as TF's bilinear resize with half-pixel centres; downscales antialiased (every pixel counts)", () => {
    const src = tf.randomUniform([7, 5, 3]) as tf.Tensor3D;
    const data = src.dataSync() as Float32Array;
    for (const [h, w] of [[12, 9], [7, 5], [14, 10]] as const) {
      const ours = tf.tensor3d(fitImage(data, [7, 5, 3], [h, w, 3], 'resize'), [h, w, 3]);
      const reference = tf.image.resizeBilinear(src, [h, w], false, true);
      expectTensorsClose(ours, reference, 1e-5);
    }
    // Halving a 1-pixel checkerboard: TF's bilinear samples between two pixels; the antialiased filter averages.
    const board = Float32Array.from({ length: 8 * 8 }, (_, i) => (Math.floor(i / 8) + i) % 2);
    for (const v of fitImage(board, [8, 8, 1], [4, 4, 1], 'resize').slice(5, 7)) expect(v).toBeCloseTo(0.5, 5);
  });

  it('pads a 28x28 digit to 32x32 centred, values untouched', () => {
    const digit = Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 7) / 7);
    const out = fitImage(digit, [28, 28, 1], [32, 32, 1], 'pad');
    expect(out.length).toBe(32 * 32);
    expect(out[2 * 32 + 2]).toBe(digit[0]);
    expect(out[(2 + 27) * 32 + 2 + 27]).toBe(digit[28 * 28 - 1]);
    expect((out[0] as number) + (out[31] as number) + (out[32 * 32 - 1] as number)).toBe(0);
    const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    expect(sum(out)).toBeCloseTo(sum(digit), 3);
  });

  it('converts grey to RGB by repeating and RGB to grey by luma', () => {
    const grey = fitImage(Float32Array.of(0.5), [1, 1, 1], [1, 1, 3], 'resize');
    expect(Array.from(grey)).toEqual([0.5, 0.5, 0.5]);
    const luma = fitImage(Float32Array.of(1, 0, 0), [1, 1, 3], [1, 1, 1], 'resize');
    expect(luma[0]).toBeCloseTo(0.299, 6);
  });

  it('fits a whole set and keeps its labels', () => {
    const set = { images: new Float32Array(2 * 4 * 4), labels: Int32Array.of(1, 0), shape: [4, 4, 1] as [number, number, number] };
    const fitted = fitImageSet(set, [6, 6, 3], 'pad');
    expect(fitted.shape).toEqual([6, 6, 3]);
    expect(fitted.images.length).toBe(2 * 6 * 6 * 3);
    expect(fitted.labels).toEqual(set.labels);
  });
});

describe('random-shift augmentation', () => {
  it('moves the image by (dy, dx) and fills with zeros', () => {
    const src = Float32Array.from({ length: 4 * 5 }, (_, i) => i + 1);
    const out = new Float32Array(20);
    shiftImage(src, out, [4, 5, 1], 1, -2);
    // Row y of the output is row y - 1 of the input, read from column x + 2.
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 3, 4, 5, 0, 0, 8, 9, 10, 0, 0, 13, 14, 15, 0, 0]);
    shiftImage(src, out, [4, 5, 1], 0, 0);
    expect(out).toEqual(src);
    shiftImage(src, out, [4, 5, 1], 0, 5);
    expect(out.every((v) => v === 0)).toBe(true);
  });
});
