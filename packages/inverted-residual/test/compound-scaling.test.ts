import { describe, expect, it } from 'vitest';
import { scaleDepth, scaleWidth } from '../src/compound-scaling.js';

/** EfficientNet B0–B7 (width, depth) coefficients (Tan & Le 2019, REFERENCE.md). */
const COEFFICIENTS = {
  b0: [1.0, 1.0],
  b1: [1.0, 1.1],
  b2: [1.1, 1.2],
  b3: [1.2, 1.4],
  b4: [1.4, 1.8],
  b5: [1.6, 2.2],
  b6: [1.8, 2.6],
  b7: [2.0, 3.1],
} as const;
const STEM = 32;
const HEAD = 1280;
const STAGE_WIDTHS = [16, 24, 40, 80, 112, 192, 320];
const STAGE_REPEATS = [1, 2, 2, 3, 3, 4, 1];

/** The formula of REFERENCE.md, written out independently: f *= w; n = max(8, floor((f + 4) / 8) * 8); if n < 0.9 f: n += 8. */
function roundFiltersByHand(filters: number, w: number): number {
  const f = filters * w;
  let n = Math.max(8, Math.floor((f + 4) / 8) * 8);
  if (n < 0.9 * f) n += 8;
  return n;
}

/** Every EfficientNet width, as published (timm / torchvision / Keras): [stem, 7 stages, head]. */
const KNOWN_WIDTHS: Record<keyof typeof COEFFICIENTS, number[]> = {
  b0: [32, 16, 24, 40, 80, 112, 192, 320, 1280],
  b1: [32, 16, 24, 40, 80, 112, 192, 320, 1280],
  b2: [32, 16, 24, 48, 88, 120, 208, 352, 1408],
  b3: [40, 24, 32, 48, 96, 136, 232, 384, 1536],
  b4: [48, 24, 32, 56, 112, 160, 272, 448, 1792],
  b5: [48, 24, 40, 64, 128, 176, 304, 512, 2048],
  b6: [56, 32, 40, 72, 144, 200, 344, 576, 2304],
  b7: [64, 32, 48, 80, 160, 224, 384, 640, 2560],
};
const KNOWN_REPEATS: Record<keyof typeof COEFFICIENTS, number[]> = {
  b0: [1, 2, 2, 3, 3, 4, 1],
  b1: [2, 3, 3, 4, 4, 5, 2],
  b2: [2, 3, 3, 4, 4, 5, 2],
  b3: [2, 3, 3, 5, 5, 6, 2],
  b4: [2, 4, 4, 6, 6, 8, 2],
  b5: [3, 5, 5, 7, 7, 9, 3],
  b6: [3, 6, 6, 8, 8, 11, 3],
  b7: [4, 7, 7, 10, 10, 13, 4],
};

describe('scaleWidth / scaleDepth over the whole EfficientNet B0–B7 table', () => {
  for (const [variant, [w, d]] of Object.entries(COEFFICIENTS) as [keyof typeof COEFFICIENTS, readonly [number, number]][]) {
    it(`${variant}: widths and repeats equal the formula and the published values`, () => {
      const widths = [STEM, ...STAGE_WIDTHS, HEAD].map((f) => scaleWidth(f, w));
      expect(widths).toEqual([STEM, ...STAGE_WIDTHS, HEAD].map((f) => roundFiltersByHand(f, w)));
      expect(widths).toEqual(KNOWN_WIDTHS[variant]);
      const repeats = STAGE_REPEATS.map((r) => scaleDepth(r, d));
      expect(repeats).toEqual(STAGE_REPEATS.map((r) => Math.ceil(d * r)));
      expect(repeats).toEqual(KNOWN_REPEATS[variant]);
    });
  }

  it('B7 has 55 blocks; B0 16', () => {
    const blocks = (d: number) => STAGE_REPEATS.reduce((sum, r) => sum + scaleDepth(r, d), 0);
    expect(blocks(1.0)).toBe(16);
    expect(blocks(3.1)).toBe(55);
  });

  it('bumps up a rounding that loses more than 10 % (B3: 16 * 1.2 = 19.2 -> 16 is too small -> 24)', () => {
    expect(scaleWidth(16, 1.2)).toBe(24);
    expect(scaleWidth(32, 1.1)).toBe(32); // 35.2 -> 32, within 10 %
    expect(scaleWidth(10, 1, 4)).toBe(12); // another divisor: nearest multiple of 4 (10 + 2 -> 12)
  });

  it('names the argument and the value when one is invalid', () => {
    expect(() => scaleWidth(0, 1)).toThrow('(got filters=0)');
    expect(() => scaleWidth(32, -1)).toThrow('(got widthCoefficient=-1)');
    expect(() => scaleDepth(2.5, 1)).toThrow('(got repeats=2.5)');
    expect(() => scaleDepth(2, 0)).toThrow('(got depthCoefficient=0)');
  });
});
