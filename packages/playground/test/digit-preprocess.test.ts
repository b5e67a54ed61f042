import { describe, expect, it } from 'vitest';
import { boundingBox, centreOfMass, DIGIT_BOX, MODEL_SIDE, prepareDigit, resampleArea } from '../src/digit-preprocess.js';

/** A `side x side` drawing with the rectangle [top, top+h) x [left, left+w) white. */
function rectangle(side: number, top: number, left: number, h: number, w: number) {
  const pixels = new Float32Array(side * side);
  for (let y = top; y < top + h; y++) pixels.fill(1, y * side + left, y * side + left + w);
  return { pixels, side };
}

describe('a drawing prepared as the MNIST training digits were', () => {
  it('finds the bounding box, and none on a blank drawing', () => {
    expect(boundingBox(rectangle(50, 10, 30, 5, 8))).toEqual({ top: 10, left: 30, height: 5, width: 8 });
    expect(boundingBox(rectangle(50, 0, 0, 0, 0))).toBeNull();
    expect(prepareDigit(rectangle(50, 0, 0, 0, 0))).toBeNull();
  });

  it('averages areas when it downscales: the mean is kept', () => {
    const drawing = { pixels: Float32Array.from({ length: 36 }, (_, i) => i % 7), side: 6 };
    const out = resampleArea(drawing, { top: 0, left: 0, height: 6, width: 6 }, 4, 4);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(out)).toBeCloseTo(mean(drawing.pixels), 5);
  });

  it('scales the longer side to 20 px and puts the centre of mass at the centre of the 32x32 input', () => {
    // A tall bar far off-centre in a 280x280 drawing: a "1" drawn in the top-left corner.
    const input = prepareDigit(rectangle(280, 10, 20, 200, 40)) as Float32Array;
    expect(input.length).toBe(MODEL_SIDE * MODEL_SIDE);
    const box = boundingBox({ pixels: input, side: MODEL_SIDE });
    expect(box?.height).toBe(DIGIT_BOX);
    expect(box?.width).toBe(4);
    const [cy, cx] = centreOfMass(input, MODEL_SIDE, MODEL_SIDE);
    expect(Math.abs(cy - (MODEL_SIDE - 1) / 2)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cx - (MODEL_SIDE - 1) / 2)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...input)).toBeLessThanOrEqual(1);
    // Nothing in the 2-pixel border: the 28x28 digit canvas is padded to 32x32 as in training.
    for (let i = 0; i < MODEL_SIDE; i++) {
      for (const j of [0, 1, MODEL_SIDE - 2, MODEL_SIDE - 1]) {
        expect(input[i * MODEL_SIDE + j]).toBe(0);
        expect(input[j * MODEL_SIDE + i]).toBe(0);
      }
    }
  });
});
