// Splitting a batch over data-parallel replicas, and packing a list of tensors into one flat array
// (what crosses between threads).

import * as tf from '@tensorflow/tfjs';

/** One shard of a batch: the rows `[start, start + size)`. */
export interface ShardRange {
  start: number;
  size: number;
}

/**
 * `rows` split into `shards` contiguous ranges of near-equal size (the first `rows % shards` one
 * row longer), in order; empty ranges (a batch smaller than `shards`) are left out.
 */
export function shardRanges(rows: number, shards: number): ShardRange[] {
  const base = Math.floor(rows / shards);
  const extra = rows % shards;
  const ranges: ShardRange[] = [];
  let start = 0;
  for (let i = 0; i < shards; i++) {
    const size = base + (i < extra ? 1 : 0);
    if (size > 0) ranges.push({ start, size });
    start += size;
  }
  return ranges;
}

/** Where each of `shapes` sits in one flat Float32Array, and the total length. */
export function packLayout(shapes: readonly (readonly number[])[]): { offsets: number[]; sizes: number[]; total: number } {
  const sizes = shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
  const offsets: number[] = [];
  let total = 0;
  for (const size of sizes) {
    offsets.push(total);
    total += size;
  }
  return { offsets, sizes, total };
}

/** Writes the values of `tensors` into `into` at the layout's offsets (only the indices given, all by default). */
export function packTensors(tensors: readonly tf.Tensor[], into: Float32Array, offsets: readonly number[], indices?: readonly number[]): void {
  for (const i of indices ?? tensors.map((_, j) => j)) into.set(tensors[i]!.dataSync() as Float32Array, offsets[i]);
}

/** The tensor of `shape` at `offset` in `from` (copied: `from` may be shared). */
export function unpackTensor(from: Float32Array, offset: number, shape: readonly number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(from.slice(offset, offset + size), [...shape], 'float32');
}

/**
 * The weighted sum `sum_k weights[k] * shards[k]` of packed gradients, over the variables at
 * `indices` (zero elsewhere), packed in the same layout. Summed in shard order in double precision
 * and rounded once.
 */
export function weightedSum(shards: readonly Float32Array[], weights: readonly number[], layout: { offsets: readonly number[]; sizes: readonly number[]; total: number }, indices: readonly number[]): Float32Array {
  const sums = new Float32Array(layout.total);
  for (const i of indices) {
    const end = (layout.offsets[i] as number) + (layout.sizes[i] as number);
    for (let j = layout.offsets[i] as number; j < end; j++) {
      let sum = 0;
      for (let k = 0; k < shards.length; k++) sum += (weights[k] as number) * ((shards[k] as Float32Array)[j] as number);
      sums[j] = sum;
    }
  }
  return sums;
}
