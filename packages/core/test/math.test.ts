import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '@netblocks/test-utils';
import { convOutputLength, makeDivisible, paddingAmounts, samePadding, torchPadding } from '../src/math.js';

useBackend('cpu');

describe('makeDivisible', () => {
  it('rounds to the nearest multiple, never more than 10 % down', () => {
    // torchvision MobileNetV2 widths at alpha 0.35 / 1.4 and EfficientNet's round_filters.
    expect([32, 16, 24, 64, 96, 160, 320].map((c) => makeDivisible(c * 0.35))).toEqual([16, 8, 8, 24, 32, 56, 112]);
    expect([32, 16, 24, 64, 96, 160, 320].map((c) => makeDivisible(c * 1.4))).toEqual([48, 24, 32, 88, 136, 224, 448]);
    expect(makeDivisible(32 * 1.1)).toBe(32);
    expect(makeDivisible(40 * 1.1)).toBe(48);
    expect(makeDivisible(11)).toBe(16); // 8 would be < 0.9 * 11
    expect(makeDivisible(3, 8)).toBe(8); // never below the divisor
  });
  it('names the bad argument', () => {
    expect(() => makeDivisible(10, 0)).toThrow(/`divisor`.*divisor=0/);
    expect(() => makeDivisible(-1)).toThrow(/`value`.*value=-1/);
  });
});

describe('padding and output length', () => {
  it('pads symmetrically as PyTorch does', () => {
    expect(torchPadding(3)).toEqual([1, 1]);
    expect(torchPadding(5)).toEqual([2, 2]);
    expect(torchPadding(3, 2)).toEqual([2, 2]);
    expect(torchPadding(1)).toEqual([0, 0]);
    expect(() => torchPadding(2)).toThrow(/odd effective kernel.*kernelSize=2/);
  });
  it("puts TF 'same' padding's extra pixel at the end", () => {
    expect(samePadding(224, 3, 2)).toEqual([0, 1]);
    expect(samePadding(225, 3, 2)).toEqual([1, 1]);
    expect(samePadding(224, 3, 1)).toEqual([1, 1]);
    expect(samePadding(7, 1, 2)).toEqual([0, 0]);
    expect(paddingAmounts('valid', 10, 3)).toEqual([0, 0]);
  });
  it('matches the output length TF.js computes for same and valid', () => {
    for (const [n, k, s, padding] of [
      [224, 3, 2, 'same'],
      [225, 3, 2, 'valid'],
      [17, 5, 2, 'same'],
      [17, 5, 3, 'valid'],
    ] as const) {
      const out = tf.tidy(() => tf.conv2d(tf.zeros([1, n, n, 1]) as tf.Tensor4D, tf.zeros([k, k, 1, 1]) as tf.Tensor4D, s, padding));
      expect(convOutputLength(n, k, s, padding)).toBe(out.shape[1]);
      out.dispose();
    }
    expect(convOutputLength(224, 3, 2, 'torch')).toBe(112);
    expect(convOutputLength(224, 7, 2, [3, 3])).toBe(112);
  });
  it("rounds up in ceil mode without starting a window in the padding (SqueezeNet's pools)", () => {
    expect(convOutputLength(111, 3, 2, 'valid', 1, true)).toBe(55);
    expect(convOutputLength(54, 3, 2, 'valid', 1, true)).toBe(27);
    expect(convOutputLength(54, 3, 2, 'valid', 1, false)).toBe(26);
    expect(convOutputLength(5, 2, 2, [1, 1], 1, true)).toBe(3);
  });
  it('rejects inputs smaller than the kernel', () => {
    expect(() => convOutputLength(2, 3)).toThrow(/input of length 2 is smaller than the kernel/);
  });
});
