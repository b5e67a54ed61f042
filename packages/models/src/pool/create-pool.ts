// Batch inference on every core in Node: worker threads each hold the model on their own TF.js
// backend (one wasm instance runs on one core) and each runs a contiguous slice of the batch.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { NODE_ONNX_RUNTIME } from '../engine/node-runtime.js';
import { checkEngineChoice, type EngineChoice } from '../engine/types.js';
import { copyRows, joinShards, readBatch } from './batch.js';
import { modelDirectoryFor } from './model-directory.js';
import { PoolWorkerHandle } from './pool-worker-handle.js';
import type { WorkerSetup } from './protocol.js';
import { shardRanges } from './shards.js';
import type { BatchData, InferencePool, InferencePoolOptions, PoolBackend } from './types.js';
import { builtWorkerFile } from './worker-file.js';

const BACKENDS: readonly PoolBackend[] = ['wasm', 'cpu'];

function resolveOptions(options: InferencePoolOptions): Omit<WorkerSetup, 'modelDir' | 'engine'> & { workers: number; engine: EngineChoice } {
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`createInferencePool: workers must be a positive integer (got ${String(workers)})`);
  }
  const backend = options.backend ?? 'wasm';
  if (!BACKENDS.includes(backend)) {
    throw new Error(`createInferencePool: backend must be one of ${BACKENDS.join(', ')} (got ${JSON.stringify(backend)})`);
  }
  const optimize = options.optimize ?? true;
  if (typeof optimize !== 'boolean') throw new Error(`createInferencePool: optimize must be a boolean (got ${JSON.stringify(optimize)})`);
  return { workers, backend, optimize, engine: checkEngineChoice('createInferencePool', options.engine ?? 'tfjs') };
}

/** The engine the workers run: onnxruntime-node is imported here first, so a missing one fails before any worker starts. */
async function workerEngine(choice: EngineChoice): Promise<InferencePool['engine']> {
  if (choice === 'tfjs') return 'tfjs';
  if ((await NODE_ONNX_RUNTIME.load()) !== null) return 'onnxruntime-node';
  if (choice === 'auto') return 'tfjs';
  throw new Error("createInferencePool: engine 'onnxruntime' needs the onnxruntime-node package, which is not installed: `npm install onnxruntime-node`, or pass engine: 'auto' or 'tfjs'");
}

class WorkerInferencePool implements InferencePool {
  private closed = false;
  /** Where the next batch's first shard goes, so that small batches do not all land on worker 1. */
  private nextWorker = 0;

  constructor(
    private readonly handles: readonly PoolWorkerHandle[],
    readonly inputShape: readonly (number | null)[],
    readonly engine: InferencePool['engine'],
  ) {}

  get workers(): number {
    return this.handles.length;
  }

  async predict(x: tf.Tensor | BatchData): Promise<tf.Tensor> {
    if (this.closed) throw new Error('InferencePool.predict: the pool is closed (close() was called)');
    const batch = await readBatch(x, this.inputShape);
    const ranges = shardRanges(batch.shape[0] as number, this.handles.length);
    const first = this.nextWorker;
    this.nextWorker = (first + ranges.length) % this.handles.length;
    const shards = await Promise.all(
      ranges.map(({ start, end }, i) => {
        const handle = this.handles[(first + i) % this.handles.length] as PoolWorkerHandle;
        // One copy per shard into its own buffer, which is then transferred (moved, not copied).
        return handle.run(copyRows(batch, start, end), [end - start, ...batch.shape.slice(1)]);
      }),
    ).catch((error: unknown) => {
      throw new Error(`InferencePool.predict: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    const joined = joinShards(shards);
    return tf.tensor(joined.data, joined.shape, 'float32');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const reason = new Error('InferencePool: the pool was closed while this prediction was running');
    await Promise.all(this.handles.map((handle) => handle.terminate(reason)));
  }
}

/**
 * `createInferencePool` with the worker entry given: the built `pool-worker.js` (ESM) or
 * `pool-worker.cjs`. Internal: tests running from the TypeScript sources pass the built file.
 */
export async function startInferencePool(
  workerFile: URL,
  modelDirOrName: string,
  options: InferencePoolOptions = {},
): Promise<InferencePool> {
  const { workers, engine: choice, ...settings } = resolveOptions(options);
  const engine = await workerEngine(choice);
  const model = await modelDirectoryFor(modelDirOrName, options.modelOptions);
  const setup: WorkerSetup = { modelDir: model.dir, ...settings, engine };
  const handles = Array.from(
    { length: workers },
    (_, i) => new PoolWorkerHandle(new Worker(workerFile, { workerData: setup }), `pool worker ${i + 1} of ${workers}`),
  );
  try {
    const [inputShape] = await Promise.all(handles.map((handle) => handle.ready));
    return new WorkerInferencePool(handles, inputShape ?? [], engine);
  } catch (error) {
    const reason = new Error('createInferencePool: another worker failed to start');
    await Promise.all(handles.map((handle) => handle.terminate(reason)));
    throw new Error(`createInferencePool: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    // The workers hold the weights now (or failed): a temp directory made for a name goes away.
    await model.release();
  }
}

/**
 * A pool of `workers` worker threads that each load the model `modelDirOrName` (a directory saved
 * by `saveModel`, or a registered model name, built once here with `modelOptions` so that every
 * worker has the same weights) on the `backend` (default wasm), optimized for inference unless
 * `optimize: false` (or as its ONNX export in onnxruntime-node with `engine: 'onnxruntime'`), and
 * share each batch given to `predict`. Close it with `close()`; an idle
 * pool does not keep the process alive.
 */
export function createInferencePool(modelDirOrName: string, options: InferencePoolOptions = {}): Promise<InferencePool> {
  return startInferencePool(builtWorkerFile(), modelDirOrName, options);
}
