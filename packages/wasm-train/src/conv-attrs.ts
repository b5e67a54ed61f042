import type * as tf from '@tensorflow/tfjs';

/** A conv's padding as tfjs-core's ops pass it to kernels. */
export type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** The shape of a 4-D `TensorInfo`, checked. */
export function shape4(t: tf.TensorInfo, what: string): [number, number, number, number] {
  if (t.shape.length !== 4) throw new Error(`@netblocks/wasm-train: \`${what}\` must be rank 4 (got shape=[${t.shape.join(', ')}])`);
  return t.shape as [number, number, number, number];
}

/** A stride or dilation attribute as a pair. */
export function pair(value: number | number[] | undefined, fallback = 1): [number, number] {
  if (value === undefined || value === null) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  return [value[0] ?? fallback, value[1] ?? fallback];
}

/** Explicit NHWC padding of the two spatial axes. */
export function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}
