// The pieces of a fine-tune's data: the digits a `mnist:<digits>` name selects, the validation
// split, and the two augmentations (mirror, random resized crop).
import { describe, expect, it } from 'vitest';
import { loadMnist, mnistDigits, splitValidation } from '../src/index.js';
import { flipImage, randomResizedCrop, randomResizedCropWindow } from '../src/train/augment.js';
import { seededRandom } from '../src/train/random.js';

describe('mnist:<digits>', () => {
  it('reads lists and ranges in the order given, and labels them 0..', () => {
    expect(mnistDigits('mnist')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(mnistDigits('mnist:5-9')).toEqual([5, 6, 7, 8, 9]);
    expect(mnistDigits('mnist:7,0-2,7')).toEqual([7, 0, 1, 2]);
    for (const bad of ['mnist:', 'mnist:4-2', 'mnist:10', 'mnist:a']) expect(() => mnistDigits(bad), bad).toThrow(/must be mnist or mnist:<digits>/);
    const some = loadMnist({ digits: [7, 3], trainPerClass: 3, testPerClass: 2 });
    expect(some.classNames).toEqual(['7', '3']);
    expect(Array.from(some.train.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    // The same digits as in the full split: digit 3's first training image is the full set's.
    const all = loadMnist({ trainPerClass: 3 });
    expect(some.train.images.subarray(3 * 784, 4 * 784)).toEqual(all.train.images.subarray(9 * 784, 10 * 784));
  });
});

describe('splitValidation', () => {
  it("holds out the fraction of each class's images, evenly spaced, disjoint from the rest", () => {
    const labels = Int32Array.from({ length: 30 }, (_, i) => (i < 20 ? 0 : 1));
    const images = Float32Array.from({ length: 30 }, (_, i) => i);
    const { train, validation } = splitValidation({ images, labels, shape: [1, 1, 1] }, 0.2);
    expect(Array.from(validation.images)).toEqual([2, 7, 12, 17, 22, 27]);
    expect(train.images.length + validation.images.length).toBe(30);
    expect(new Set([...train.images, ...validation.images]).size).toBe(30);
  });
});

describe('augmentation', () => {
  it('mirrors an image left to right', () => {
    const src = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i);
    const out = new Float32Array(12);
    flipImage(src, out, [2, 3, 2]);
    expect(Array.from(out)).toEqual([4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7]);
  });

  it("draws timm's random resized crop windows: inside the image, area 8-100 %, aspect 3/4-4/3", () => {
    const random = seededRandom(7);
    const areas: number[] = [];
    for (let i = 0; i < 500; i++) {
      const [top, left, h, w] = randomResizedCropWindow(40, 60, random);
      expect(top >= 0 && left >= 0 && top + h <= 40 && left + w <= 60 && h > 0 && w > 0).toBe(true);
      // Rounding to whole pixels moves the aspect a little past its bounds on small windows.
      expect(w / h).toBeGreaterThan((3 / 4) * 0.8);
      expect(w / h).toBeLessThan((4 / 3) * 1.25);
      areas.push((h * w) / (40 * 60));
    }
    expect(Math.min(...areas)).toBeGreaterThan(0.06);
    expect(Math.min(...areas)).toBeLessThan(0.2);
    expect(Math.max(...areas)).toBeGreaterThan(0.6);
    // Never fitting after ten tries (an impossible aspect range): the centre crop at the clamped aspect.
    expect(randomResizedCropWindow(10, 100, () => 0.5, [0.9, 1], [1, 1])).toEqual([0, 45, 10, 10]);
  });

  it('a random resized crop keeps the image size and a constant image constant', () => {
    const src = new Float32Array(16 * 16 * 3).fill(0.25);
    const out = new Float32Array(src.length);
    randomResizedCrop(src, out, [16, 16, 3], seededRandom(1));
    out.forEach((v) => expect(v).toBeCloseTo(0.25, 6));
  });
});
