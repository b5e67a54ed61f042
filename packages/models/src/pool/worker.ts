// Entry of one pool worker thread (built to dist/pool-worker.js and .cjs): loads the saved model on
// its own TF.js backend (optimized for inference unless told not to), then answers predict
// requests one at a time, in arrival order.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@netblocks/core';
import { loadModel } from '@netblocks/core/node';
// Every custom layer class a netblocks model can contain, so that the saved model deserializes.
// The package's own register entry, not the relative module: bundled relative, register.ts would
// move into a chunk shared with this entry and `dist/register.js` would no longer carry the side
// effect itself (bundlers would then drop it).
import '@netblocks/models/register';
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

/** Runs the model on one shard and transfers the output back. */
function predictShard(model: tf.LayersModel, request: PredictRequest): void {
  const y = tf.tidy(() => model.predict(tf.tensor(request.data, request.shape, 'float32')) as tf.Tensor);
  let output: Float32Array;
  try {
    // Read outside tidy: tidy walks a returned typed array element by element.
    output = ownedValues(y);
  } finally {
    y.dispose();
  }
  reply({ type: 'result', id: request.id, data: output, shape: y.shape }, [output.buffer as ArrayBuffer]);
}

async function start(setup: WorkerSetup): Promise<void> {
  let model: tf.LayersModel;
  try {
    await initBackend(setup.backend, { log: () => {} });
    model = await loadModel(setup.modelDir);
    if (setup.optimize) {
      const optimized = optimizeForInference(model);
      model.dispose();
      model = optimized;
    }
    if (model.outputs.length !== 1) {
      throw new Error(`the pool runs single-output models; ${setup.modelDir} has ${model.outputs.length} outputs`);
    }
  } catch (error) {
    reply({ type: 'error', message: messageOf(error) });
    parentPort?.close();
    return;
  }
  parentPort?.on('message', (request: PredictRequest) => {
    try {
      predictShard(model, request);
    } catch (error) {
      reply({ type: 'error', id: request.id, message: messageOf(error) });
    }
  });
  reply({ type: 'ready', inputShape: model.inputs[0]?.shape ?? [] });
}

void start(workerData as WorkerSetup);
