import type * as tf from '@tensorflow/tfjs';

/** Scalar definitions, straight from the papers and the frameworks' docs. */
export const scalar = {
  relu: (v: number) => Math.max(0, v),
  relu6: (v: number) => Math.min(6, Math.max(0, v)),
  swish: (v: number) => v / (1 + Math.exp(-v)),
  sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
  // Keras / TF.js: clip(0.2x + 0.5, 0, 1).
  hardSigmoidKeras: (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5)),
  // PyTorch F.hardsigmoid: relu6(x + 3) / 6.
  hardSigmoidTorch: (v: number) => Math.min(6, Math.max(0, v + 3)) / 6,
} as const;

/** Plain arrays of one SE's weights: w1 [C][Cr], b1 [Cr], w2 [Cr][C], b2 [C]. */
export interface NaiveSeWeights {
  w1: number[][];
  b1: number[];
  w2: number[][];
  b2: number[];
}

export function toNested(t: tf.Tensor, rows: number, cols: number): number[][] {
  const data = t.dataSync();
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => data[r * cols + c] as number));
}

/**
 * Squeeze-and-excitation with loops over a flat channels-last array of `[N, positions, C]`
 * (positions = product of the spatial dims): the definition of Hu et al., eq. 2-4.
 */
export function naiveSqueezeExcite(
  x: ArrayLike<number>,
  shape: number[],
  w: NaiveSeWeights,
  activation: 'relu' | 'relu6' | 'swish',
  gate: 'sigmoid' | 'hardSigmoidKeras' | 'hardSigmoidTorch',
): number[] {
  const n = shape[0] as number;
  const c = shape[shape.length - 1] as number;
  const positions = shape.slice(1, -1).reduce((a, b) => a * b, 1);
  const cr = w.b1.length;
  const out = new Array<number>(x.length);
  for (let b = 0; b < n; b++) {
    const mean = new Array<number>(c).fill(0);
    for (let p = 0; p < positions; p++) for (let ch = 0; ch < c; ch++) mean[ch]! += (x[(b * positions + p) * c + ch] as number) / positions;
    const hidden = Array.from({ length: cr }, (_, j) => {
      let s = w.b1[j] as number;
      for (let ch = 0; ch < c; ch++) s += (mean[ch] as number) * (w.w1[ch]?.[j] as number);
      return scalar[activation](s);
    });
    const scale = Array.from({ length: c }, (_, ch) => {
      let s = w.b2[ch] as number;
      for (let j = 0; j < cr; j++) s += (hidden[j] as number) * (w.w2[j]?.[ch] as number);
      return scalar[gate](s);
    });
    for (let p = 0; p < positions; p++) {
      for (let ch = 0; ch < c; ch++) {
        const i = (b * positions + p) * c + ch;
        out[i] = (x[i] as number) * (scale[ch] as number);
      }
    }
  }
  return out;
}
