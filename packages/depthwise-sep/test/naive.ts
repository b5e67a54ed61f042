// Naive references, written out as loops over every output and every kernel tap: what a depthwise
// conv is by definition, independent of TF.js's kernels.
import * as tf from '@tensorflow/tfjs';

export type Pair = [number, number];

/** Geometry of one naive depthwise conv: zeros before/after each axis, strides, dilation. */
export interface NaiveGeometry {
  pads: [Pair, Pair];
  strides: Pair;
  dilation: Pair;
}

interface Sizes {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  m: number;
  oh: number;
  ow: number;
}

function sizes(xShape: readonly number[], fShape: readonly number[], g: NaiveGeometry): Sizes {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const [kh, kw, , m] = fShape as [number, number, number, number];
  const oh = Math.floor((h + g.pads[0][0] + g.pads[0][1] - g.dilation[0] * (kh - 1) - 1) / g.strides[0]) + 1;
  const ow = Math.floor((w + g.pads[1][0] + g.pads[1][1] - g.dilation[1] * (kw - 1) - 1) / g.strides[1]) + 1;
  return { n, h, w, c, kh, kw, m, oh, ow };
}

/** Calls `visit(outIndex, inIndex, filterIndex)` for every product the conv sums; taps that land
 * in the zero padding are skipped. */
function forEachProduct(s: Sizes, g: NaiveGeometry, visit: (out: number, inp: number, fil: number) => void): void {
  for (let b = 0; b < s.n; b++)
    for (let i = 0; i < s.oh; i++)
      for (let j = 0; j < s.ow; j++)
        for (let ch = 0; ch < s.c; ch++)
          for (let q = 0; q < s.m; q++) {
            const out = ((b * s.oh + i) * s.ow + j) * s.c * s.m + ch * s.m + q;
            for (let a = 0; a < s.kh; a++)
              for (let e = 0; e < s.kw; e++) {
                const row = i * g.strides[0] + a * g.dilation[0] - g.pads[0][0];
                const col = j * g.strides[1] + e * g.dilation[1] - g.pads[1][0];
                if (row < 0 || row >= s.h || col < 0 || col >= s.w) continue;
                visit(out, ((b * s.h + row) * s.w + col) * s.c + ch, ((a * s.kw + e) * s.c + ch) * s.m + q);
              }
          }
}

/** Depthwise conv of `x` (NHWC) with `filter` `[kh, kw, C, m]`: output channel `c * m + q`. */
export function naiveDepthwise(x: tf.Tensor, filter: tf.Tensor, g: NaiveGeometry): tf.Tensor4D {
  const s = sizes(x.shape, filter.shape, g);
  const xs = x.dataSync();
  const fs = filter.dataSync();
  const out = new Float64Array(s.n * s.oh * s.ow * s.c * s.m);
  forEachProduct(s, g, (o, i, f) => {
    out[o] = (out[o] as number) + (xs[i] as number) * (fs[f] as number);
  });
  return tf.tensor4d(Float32Array.from(out), [s.n, s.oh, s.ow, s.c * s.m]);
}

/** Gradients of `sum(upstream * naiveDepthwise(x, filter))` with respect to `x` and `filter`. */
export function naiveDepthwiseGrads(
  x: tf.Tensor,
  filter: tf.Tensor,
  upstream: tf.Tensor,
  g: NaiveGeometry,
): { dx: tf.Tensor; dFilter: tf.Tensor } {
  const s = sizes(x.shape, filter.shape, g);
  const xs = x.dataSync();
  const fs = filter.dataSync();
  const us = upstream.dataSync();
  const dx = new Float64Array(xs.length);
  const df = new Float64Array(fs.length);
  forEachProduct(s, g, (o, i, f) => {
    dx[i] = (dx[i] as number) + (us[o] as number) * (fs[f] as number);
    df[f] = (df[f] as number) + (us[o] as number) * (xs[i] as number);
  });
  return { dx: tf.tensor(Float32Array.from(dx), x.shape), dFilter: tf.tensor(Float32Array.from(df), filter.shape) };
}

/** 1x1 conv by its definition: `y[..., o] = sum_i x[..., i] * w[0, 0, i, o]`. */
export function naivePointwise(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
  const [, , cin, cout] = kernel.shape as [number, number, number, number];
  const xs = x.dataSync();
  const ks = kernel.dataSync();
  const positions = xs.length / cin;
  const out = new Float32Array(positions * cout);
  for (let p = 0; p < positions; p++)
    for (let o = 0; o < cout; o++) {
      let sum = 0;
      for (let i = 0; i < cin; i++) sum += (xs[p * cin + i] as number) * (ks[i * cout + o] as number);
      out[p * cout + o] = sum;
    }
  return tf.tensor(out, [...x.shape.slice(0, -1), cout]);
}

/** Symmetric PyTorch padding `dilation * (k - 1) / 2` of an odd kernel. */
export function torchPads(kernel: Pair, dilation: Pair = [1, 1]): [Pair, Pair] {
  const p0 = (dilation[0] * (kernel[0] - 1)) / 2;
  const p1 = (dilation[1] * (kernel[1] - 1)) / 2;
  return [
    [p0, p0],
    [p1, p1],
  ];
}
