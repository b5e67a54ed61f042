// Entry of one pool worker thread (built to dist/pool-worker.js and .cjs): loads the saved model on
// its own TF.js backend (optimized for inference unless told not to), or exports it to ONNX for a
// one-thread onnxruntime-node session, then answers predict requests one at a time, in arrival order.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@netblocks/core';
import { loadModel } from '@netblocks/core/node';
// Every custom layer class a netblocks model can contain, so that the saved model deserializes.
// The package's own register entry, not the relative module: bundled relative, register.ts would
// move into a chunk shared with this entry and `dist/register.js` would no longer carry the side
// effect itself (bundlers would then drop it).
import '@netblocks/models/register';
import { createOnnxRunner, type Float32Batch } from '../engine/onnxruntime.js';
import { NODE_ONNX_RUNTIME } from '../engine/node-runtime.js';
import { exportOnnx } from '../onnx/index.js';
import { optimizeForInference } from '../optimize/index.js';
import type { PredictRequest, WorkerReply, WorkerSetup } from './protocol.js';

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The values of `y` in an array this thread may give away. The wasm backend's `dataSync` already
 * copies out of the wasm heap; the cpu backend's returns its own storage (which another tensor may
 * share), so that one is copied.
 */
function ownedValues(y: tf.Tensor): Float32Array {
  const values = y.dataSync();
  if (values instanceof Float32Array && tf.getBackend() === 'wasm') return values;
  return Float32Array.from(values as ArrayLike<number>);
}

/** Runs the model on one shard's values. */
type ShardRunner = (data: Float32Array, shape: number[]) => Promise<Float32Batch>;

/** TF.js's `model.predict` on this worker's backend. */
function tfjsShards(model: tf.LayersModel): ShardRunner {
  return async (data, shape) => {
    const y = tf.tidy(() => model.predict(tf.tensor(data, shape, 'float32')) as tf.Tensor);
    try {
      // Read outside tidy: tidy walks a returned typed array element by element.
      return { data: ownedValues(y), shape: y.shape };
    } finally {
      y.dispose();
    }
  };
}

/** The model's ONNX export in a one-thread onnxruntime-node session (the workers are the parallelism); the TF.js model is freed. */
async function onnxShards(model: tf.LayersModel): Promise<ShardRunner> {
  const ort = await NODE_ONNX_RUNTIME.load();
  if (ort === null) throw new Error('onnxruntime-node is not installed');
  const runner = await createOnnxRunner(ort, exportOnnx(model), NODE_ONNX_RUNTIME.sessionOptions(ort, 1));
  model.dispose();
  return async (data, shape) => {
    const y = await runner.run(data, shape);
    // The output's own buffer is transferred; a view into a larger one is copied first.
    const owned = y.data.byteOffset === 0 && y.data.byteLength === y.data.buffer.byteLength ? y.data : y.data.slice();
    return { data: owned, shape: y.shape };
  };
}

async function start(setup: WorkerSetup): Promise<void> {
  let run: ShardRunner;
  let inputShape: (number | null)[];
  try {
    await initBackend(setup.backend, { log: () => {} });
    let model = await loadModel(setup.modelDir);
    if (model.outputs.length !== 1) {
      throw new Error(`the pool runs single-output models; ${setup.modelDir} has ${model.outputs.length} outputs`);
    }
    inputShape = model.inputs[0]?.shape ?? [];
    if (setup.engine === 'onnxruntime-node') {
      run = await onnxShards(model);
    } else {
      if (setup.optimize) {
        const optimized = optimizeForInference(model);
        model.dispose();
        model = optimized;
      }
      run = tfjsShards(model);
    }
  } catch (error) {
    reply({ type: 'error', message: messageOf(error) });
    parentPort?.close();
    return;
  }
  // One request at a time, in arrival order: each waits for the one before.
  let previous: Promise<void> = Promise.resolve();
  parentPort?.on('message', (request: PredictRequest) => {
    previous = previous.then(async () => {
      try {
        const output = await run(request.data, request.shape);
        reply({ type: 'result', id: request.id, data: output.data, shape: output.shape }, [output.data.buffer as ArrayBuffer]);
      } catch (error) {
        reply({ type: 'error', id: request.id, message: messageOf(error) });
      }
    });
  });
  reply({ type: 'ready', inputShape });
}

void start(workerData as WorkerSetup);
