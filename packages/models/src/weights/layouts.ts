/**
 * How one weight is laid out in PyTorch and in TF.js, and the exact permutations between them.
 * Conversions move float32 values without arithmetic, so a save -> load round trip is bit-exact.
 */

import { copyStrided, rowMajorStrides } from '@netblocks/core';

/** One layout conversion between a TF.js weight and its PyTorch tensor. */
export interface WeightLayout {
  /** Short name used in error messages. */
  readonly name: string;
  /** The PyTorch shape of a weight whose TF.js shape is `tfShape`. */
  torchShape(tfShape: readonly number[]): number[];
  /** PyTorch values (row-major, `torchShape(tfShape)`) to TF.js values (row-major, `tfShape`). */
  toTf(values: Float32Array, tfShape: readonly number[]): Float32Array;
  /** TF.js values (row-major, `tfShape`) to PyTorch values (row-major, `torchShape(tfShape)`). */
  toTorch(values: Float32Array, tfShape: readonly number[]): Float32Array;
}

/** Row-major transpose: the result has shape `perm.map(p => shape[p])`. */
export function transpose(values: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const strides = rowMajorStrides(shape);
  const result = new Float32Array(values.length);
  copyStrided(values, 0, perm.map((p) => shape[p] as number), perm.map((p) => strides[p] as number), result);
  return result;
}

/** A layout that is a reshape, a transpose and a reshape: TF.js `tfShape` viewed as `tfView(tfShape)`
 * transposes by `toTorchPerm` into PyTorch's view, whose plain shape is `torchShape`. */
function permuted(
  name: string,
  tfView: (tfShape: readonly number[]) => number[],
  toTorchPerm: readonly number[],
  torchShape: (tfShape: readonly number[]) => number[],
): WeightLayout {
  const inverse = toTorchPerm.map((_, axis) => toTorchPerm.indexOf(axis));
  return {
    name,
    torchShape,
    toTorch: (values, tfShape) => transpose(values, tfView(tfShape), toTorchPerm),
    toTf: (values, tfShape) => {
      const view = tfView(tfShape);
      return transpose(values, toTorchPerm.map((p) => view[p] as number), inverse);
    },
  };
}

const dims = (shape: readonly number[]) => shape as [number, number, number, number];

/** Same layout on both sides: biases, BatchNorm/LayerNorm vectors. */
export const VECTOR: WeightLayout = {
  name: 'vector',
  torchShape: (tfShape) => [...tfShape],
  toTf: (values) => values.slice(),
  toTorch: (values) => values.slice(),
};

/** Linear: TF.js `[in, out]`, PyTorch `[out, in]`. */
export const LINEAR = permuted('linear', (s) => [...s], [1, 0], (s) => [s[1] as number, s[0] as number]);

/** Conv (also grouped, whose TF.js input axis is Cin/groups): TF.js HWIO `[kh, kw, in, out]`, PyTorch OIHW. */
export const CONV = permuted('conv', (s) => [...s], [3, 2, 0, 1], (s) => {
  const [kh, kw, cin, cout] = dims(s);
  return [cout, cin, kh, kw];
});

/** Depthwise conv with multiplier m: TF.js `[kh, kw, C, m]`, PyTorch `[C*m, 1, kh, kw]` (output channel c*m + j). */
export const DEPTHWISE = permuted('depthwise', (s) => [...s], [2, 3, 0, 1], (s) => {
  const [kh, kw, c, m] = dims(s);
  return [c * m, 1, kh, kw];
});

/** A 1x1 conv kernel or a linear one, by the TF.js rank (a squeeze-excite's FCs come as either). */
export const CONV_OR_LINEAR: WeightLayout = {
  name: 'conv-or-linear',
  torchShape: (s) => (s.length === 4 ? CONV : LINEAR).torchShape(s),
  toTf: (values, s) => (s.length === 4 ? CONV : LINEAR).toTf(values, s),
  toTorch: (values, s) => (s.length === 4 ? CONV : LINEAR).toTorch(values, s),
};

/**
 * The first linear layer after flattening an `[H, W, C]` map. PyTorch flattens NCHW, so its input
 * axis runs over (c, h, w); TF.js flattens NHWC, over (h, w, c). TF.js `[H*W*C, out]` is viewed as
 * `[H, W, C, out]` and transposed to PyTorch's `[out, C, H, W]`, i.e. `[out, C*H*W]`.
 */
export function flattenedLinear(height: number, width: number, channels: number): WeightLayout {
  return permuted(
    `linear after flatten of [${height}, ${width}, ${channels}]`,
    (s) => [height, width, channels, s[1] as number],
    [3, 2, 0, 1],
    (s) => [s[1] as number, s[0] as number],
  );
}
