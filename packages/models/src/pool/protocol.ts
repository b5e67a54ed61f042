// Messages between the pool (main thread) and its workers. Float32Array payloads travel as
// transferables: their buffers move to the other thread instead of being copied.
import type { PoolBackend } from './types.js';

/** What a worker is started with (`workerData`). */
export interface WorkerSetup {
  modelDir: string;
  backend: PoolBackend;
  /** Run `optimizeForInference` on the loaded model. */
  optimize: boolean;
  /** `'onnxruntime-node'`: run the model's ONNX export there (1 thread) instead of TF.js. Default `'tfjs'`. */
  engine?: 'onnxruntime-node' | 'tfjs';
}

/** Main thread -> worker: run the model on one shard. */
export interface PredictRequest {
  type: 'predict';
  id: number;
  data: Float32Array;
  shape: number[];
}

/** Worker -> main thread. */
export type WorkerReply =
  | { type: 'ready'; inputShape: (number | null)[] }
  | { type: 'result'; id: number; data: Float32Array; shape: number[] }
  /** `id` is absent when loading the model failed (the worker then exits). */
  | { type: 'error'; id?: number; message: string };
