import type * as tf from '@tensorflow/tfjs';
import type { EngineChoice } from '../engine/types.js';
import type { ModelOptions } from '../types.js';

/** Backends a pool worker can run. Worker threads have no GPU, so these are the Node CPU backends. */
export type PoolBackend = 'wasm' | 'cpu';

/** Options of `createInferencePool`. */
export interface InferencePoolOptions {
  /** Worker threads, each holding its own copy of the model. Default `os.availableParallelism()`. */
  workers?: number;
  /** TF.js backend of every worker. Default `'wasm'`. */
  backend?: PoolBackend;
  /**
   * `createModel` options, when the pool is created from a registered model name (e.g.
   * `{ numClasses: 10, inputShape: [64, 64, 3] }`). Not allowed with a model directory. Default `{}`.
   */
  modelOptions?: ModelOptions;
  /**
   * Whether each worker runs `optimizeForInference` on the model after loading it (BatchNorm folded,
   * activations fused into the convs: same function, faster). Default `true`.
   */
  optimize?: boolean;
  /**
   * What each worker runs the model with: `'tfjs'` (default: TF.js on `backend`), `'onnxruntime'`
   * (the model's ONNX export in onnxruntime-node, one intra-op thread per worker; an error if it is
   * not installed) or `'auto'` (onnxruntime-node when installed). With onnxruntime, `backend` only
   * loads the model and `optimize` does not apply (onnxruntime fuses the graph itself).
   */
  engine?: EngineChoice;
}

/** A batch as plain data: row-major values of a float32 tensor of `shape` (batch first). */
export interface BatchData {
  data: Float32Array;
  shape: number[];
}

/** Worker threads that each run the same model, sharing the work of a batch. */
export interface InferencePool {
  /** The number of worker threads. */
  readonly workers: number;
  /** The model's input shape, batch dimension `null` (e.g. `[null, 224, 224, 3]`). */
  readonly inputShape: readonly (number | null)[];
  /** What the workers run the model with. */
  readonly engine: 'onnxruntime-node' | 'tfjs';
  /**
   * Splits `x` along axis 0 into contiguous near-equal slices, one per worker (fewer when the batch
   * is smaller than the pool), runs them at once and returns the outputs concatenated in order, as
   * a tensor on the calling thread's backend. `x` is not modified or disposed.
   */
  predict(x: tf.Tensor | BatchData): Promise<tf.Tensor>;
  /** Terminates the workers; later `predict` calls reject. Calling it again does nothing. */
  close(): Promise<void>;
}
