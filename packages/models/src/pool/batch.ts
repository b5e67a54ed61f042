// The batch given to `predict`, as values and a shape checked against the model's input.
import type * as tf from '@tensorflow/tfjs';
import type { BatchData } from './types.js';
import type { ShardResult } from './pool-worker-handle.js';

function isTensorLike(x: unknown): x is tf.Tensor {
  return typeof x === 'object' && x !== null && 'dataId' in x && 'shape' in x && 'dtype' in x;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Checks that `shape` fits `inputShape` (whose `null` dims take any size) and has a non-empty batch. */
function checkShape(shape: readonly number[], inputShape: readonly (number | null)[]): void {
  const fits =
    shape.length === inputShape.length &&
    shape.every((dim, axis) => Number.isInteger(dim) && dim >= 0 && (inputShape[axis] ?? dim) === dim);
  if (!fits) {
    throw new Error(
      `InferencePool.predict: x has shape ${JSON.stringify(shape)}, but the model takes ` +
        `${JSON.stringify(inputShape)} (null: any size)`,
    );
  }
  if (shape[0] === 0) throw new Error(`InferencePool.predict: x has an empty batch (shape ${JSON.stringify(shape)})`);
}

/**
 * The values of `x` (read back from its backend when it is a tensor; `x` itself is not touched)
 * and its shape, checked against the model's input shape.
 */
export async function readBatch(x: tf.Tensor | BatchData, inputShape: readonly (number | null)[]): Promise<BatchData> {
  if (isTensorLike(x)) {
    if (x.dtype !== 'float32') {
      throw new Error(`InferencePool.predict: x must be a float32 tensor (got dtype ${x.dtype}); cast it with tf.cast(x, 'float32')`);
    }
    checkShape(x.shape, inputShape);
    return { data: (await x.data()) as Float32Array, shape: x.shape };
  }
  const { data, shape } = x as Partial<BatchData>;
  if (!(data instanceof Float32Array) || !Array.isArray(shape)) {
    throw new Error('InferencePool.predict: x must be a tf.Tensor or { data: Float32Array, shape: number[] }');
  }
  checkShape(shape, inputShape);
  if (data.length !== sizeOf(shape)) {
    throw new Error(
      `InferencePool.predict: x.data has ${data.length} values, but x.shape ${JSON.stringify(shape)} needs ${sizeOf(shape)}`,
    );
  }
  return { data, shape: [...shape] };
}

/** Row-major values of the rows `[start, end)`, in a new buffer that can be transferred. */
export function copyRows(batch: BatchData, start: number, end: number): Float32Array {
  const rowSize = sizeOf(batch.shape.slice(1));
  return batch.data.slice(start * rowSize, end * rowSize);
}

/** The shard outputs joined along axis 0, in order: values and shape. */
export function joinShards(shards: readonly ShardResult[]): BatchData {
  const [first] = shards;
  if (!first) throw new Error('joinShards: no shards');
  if (shards.length === 1) return first;
  const rest = first.shape.slice(1);
  const rows = shards.reduce((sum, shard) => sum + (shard.shape[0] ?? 0), 0);
  const data = new Float32Array(rows * sizeOf(rest));
  let offset = 0;
  for (const shard of shards) {
    data.set(shard.data, offset);
    offset += shard.data.length;
  }
  return { data, shape: [rows, ...rest] };
}
