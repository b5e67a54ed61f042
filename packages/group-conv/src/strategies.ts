import * as tf from '@tensorflow/tfjs';
import { convolve2d } from '@netblocks/core';

/**
 * The ways to compute a grouped convolution from the kernels TF.js has (it has no grouped conv):
 * - `split`: slice the input and kernel into groups, convolve each, concatenate (the naive way;
 *   the wasm Slice kernel copies element by element, so it is slow on large inputs);
 * - `blockDiagonal`: one dense conv with the kernel expanded to block-diagonal form (G times the
 *   MACs, but one fast GEMM: best for 1x1 convs with few groups);
 * - `depthwise`: a depthwise conv with channel multiplier `Cout/G`, then a sum over each group's
 *   `Cin/G` inputs (the same MACs as the grouped conv: best for kxk convs with many small groups);
 * - `matmul`: 1x1 only: one batched matmul over the groups (`[G, N*H*W, Cin/G] x [G, Cin/G, Cout/G]`).
 */
export type GroupConvStrategy = 'split' | 'blockDiagonal' | 'depthwise' | 'matmul';

/** Geometry shared by every strategy, resolved once by the op. */
export interface GroupConvGeometry {
  groups: number;
  strides: [number, number];
  dilations: [number, number];
  /** Explicit zero padding `[[0,0],[top,bottom],[left,right],[0,0]]`, or TF's 'same' / 'valid'. */
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
}

/** Input channels of group `g` are `g*cg .. (g+1)*cg - 1`; its output channels are `g*og .. (g+1)*og - 1`. */
export function splitGroupConv(x: tf.Tensor4D, filter: tf.Tensor4D, geo: GroupConvGeometry): tf.Tensor4D {
  return tf.tidy((): tf.Tensor4D => {
    const xs = tf.split(x, geo.groups, 3);
    const ws = tf.split(filter, geo.groups, 3);
    const ys = xs.map((xg, g) => convolve2d({ x: xg as tf.Tensor4D, filter: ws[g] as tf.Tensor4D, strides: geo.strides, pad: geo.pad, dilations: geo.dilations }));
    return tf.concat(ys, 3) as tf.Tensor4D;
  });
}

/**
 * The dense `[kh, kw, Cin, Cout]` kernel equal to the grouped one: entry `[., ., c, o]` is
 * `filter[., ., c % cg, o]` when input channel `c` and output channel `o` are in the same group, else 0.
 */
export function blockDiagonalKernel(filter: tf.Tensor4D, groups: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , cg, cout] = filter.shape;
    const og = cout / groups;
    const cin = cg * groups;
    const tiled = tf.tile(filter, [1, 1, groups, 1]);
    const inGroup = tf.floorDiv(tf.range(0, cin, 1, 'int32'), cg).reshape([cin, 1]);
    const outGroup = tf.floorDiv(tf.range(0, cout, 1, 'int32'), og).reshape([1, cout]);
    const mask = tf.cast(tf.equal(inGroup, outGroup), 'float32');
    return tf.mul(tiled, mask) as tf.Tensor4D;
  });
}

export function blockDiagonalGroupConv(x: tf.Tensor4D, filter: tf.Tensor4D, geo: GroupConvGeometry): tf.Tensor4D {
  return tf.tidy(() => convolve2d({ x, filter: blockDiagonalKernel(filter, geo.groups), strides: geo.strides, pad: geo.pad, dilations: geo.dilations }));
}

/**
 * The grouped kernel rearranged for a depthwise conv with multiplier `og`: depthwise output channel
 * `c*og + j` must compute input channel `c`'s contribution to output `g*og + j` (g = group of c),
 * so `[kh, kw, cg, G*og]` -> `[kh, kw, cg, G, og]` -> `[kh, kw, G, cg, og]` -> `[kh, kw, Cin, og]`.
 */
export function depthwiseKernel(filter: tf.Tensor4D, groups: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, cg, cout] = filter.shape;
    const og = cout / groups;
    const split = tf.reshape(filter, [kh, kw, cg, groups, og]);
    return tf.reshape(tf.transpose(split, [0, 1, 3, 2, 4]), [kh, kw, groups * cg, og]) as tf.Tensor4D;
  });
}

export function depthwiseGroupConv(x: tf.Tensor4D, filter: tf.Tensor4D, geo: GroupConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , cg, cout] = filter.shape;
    const og = cout / geo.groups;
    const y = convolve2d({ x, filter: depthwiseKernel(filter, geo.groups), strides: geo.strides, pad: geo.pad, dilations: geo.dilations, depthwise: true });
    if (cg === 1) return y; // one input per group: the depthwise conv is the grouped conv
    const [n, h, w] = y.shape;
    // Channels of y are ordered (group, input-in-group, output-in-group): sum out the middle axis.
    return tf.reshape(tf.sum(tf.reshape(y, [n, h, w, geo.groups, cg, og]), 4), [n, h, w, cout]) as tf.Tensor4D;
  });
}

/**
 * Every `sh`-th row and `sw`-th column starting at 0 (what a strided 1x1 conv sees), built from
 * pad + reshape + slice, which have gradients (TF.js has none for StridedSlice).
 */
function subsample(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ho = Math.ceil(h / sh);
  const wo = Math.ceil(w / sw);
  // Rows and columns added at the end are never sampled: the last sample is at (ho - 1) * sh <= h - 1.
  const padded = tf.pad(x, [[0, 0], [0, ho * sh - h], [0, wo * sw - w], [0, 0]]);
  const grid = tf.reshape(padded, [n, ho, sh, wo, sw, c]);
  return tf.reshape(tf.slice(grid, [0, 0, 0, 0, 0, 0], [n, ho, 1, wo, 1, c]), [n, ho, wo, c]);
}

export function matmulGroupConv(x: tf.Tensor4D, filter: tf.Tensor4D, geo: GroupConvGeometry): tf.Tensor4D {
  const [kh, kw, cg, cout] = filter.shape;
  if (kh !== 1 || kw !== 1) throw new Error(`groupConv2d: the 'matmul' strategy needs a 1x1 kernel (got ${kh}x${kw})`);
  return tf.tidy(() => {
    const { groups } = geo;
    const og = cout / groups;
    let input = x;
    if (Array.isArray(geo.pad) && geo.pad.some(([a, b]) => a !== 0 || b !== 0)) input = tf.pad(input, geo.pad);
    const [sh, sw] = geo.strides;
    if (sh !== 1 || sw !== 1) input = subsample(input, sh, sw);
    const [n, h, w] = input.shape;
    const m = n * h * w;
    // [M, G, cg] -> [G, M, cg]  x  [G, cg, og]  ->  [G, M, og] -> [M, G, og] -> [N, H, W, Cout]
    const xg = tf.transpose(tf.reshape(input, [m, groups, cg]), [1, 0, 2]) as tf.Tensor3D;
    const wg = tf.transpose(tf.reshape(filter, [cg, groups, og]), [1, 0, 2]) as tf.Tensor3D;
    const y = tf.matMul(xg, wg);
    return tf.reshape(tf.transpose(y, [1, 0, 2]), [n, h, w, cout]) as tf.Tensor4D;
  });
}

/** Every strategy, in the order the benchmark reports them. */
export const GROUP_CONV_STRATEGIES: readonly GroupConvStrategy[] = ['split', 'blockDiagonal', 'depthwise', 'matmul'];

export const STRATEGIES: Record<GroupConvStrategy, (x: tf.Tensor4D, f: tf.Tensor4D, g: GroupConvGeometry) => tf.Tensor4D> = {
  split: splitGroupConv,
  blockDiagonal: blockDiagonalGroupConv,
  depthwise: depthwiseGroupConv,
  matmul: matmulGroupConv,
};
