// Entry of one data-parallel training worker (built to dist/train-worker.js and .cjs): a replica of
// the model on its own TF.js backend. For each step it reads the latest weights from the shared
// buffer, computes the loss and gradients of its shard and writes the gradients to its own shared
// buffer; the main thread averages them and takes the optimizer step (data-parallel.ts).
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@netblocks/core';
// The package's register entry (not a relative module), so that the side effect stays in its file.
import '@netblocks/models/register';
import type { TrainReply, TrainRequest, TrainWorkerSetup } from './protocol.js';
import { packLayout, unpackTensor } from './shards.js';

function reply(message: TrainReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface Replica {
  model: tf.LayersModel;
  variables: tf.Variable[];
  layout: ReturnType<typeof packLayout>;
  weights: Float32Array;
  gradients: Float32Array;
}

function loadWeights(replica: Replica): void {
  const { variables, layout, weights } = replica;
  tf.tidy(() => variables.forEach((v, i) => v.assign(unpackTensor(weights, layout.offsets[i] as number, v.shape))));
}

/** One shard: loss, correct predictions, and the gradients of `learning` written to the shared buffer. */
function step(replica: Replica, setup: TrainWorkerSetup, request: Extract<TrainRequest, { type: 'step' }>): TrainReply {
  if (request.loadWeights) loadWeights(replica);
  const size = request.labels.length;
  const x = tf.tensor4d(request.images, [size, ...setup.imageShape]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(request.labels, 'int32'), setup.numClasses).toFloat());
  let correct: tf.Scalar | undefined;
  const lossOf = (): tf.Scalar => {
    const logits = replica.model.apply(x, { training: request.training }) as tf.Tensor2D;
    correct = tf.keep(tf.sum(tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)).toFloat()) as tf.Scalar);
    return tf.losses.softmaxCrossEntropy(y, logits, undefined, request.labelSmoothing) as tf.Scalar;
  };
  const learning = request.learning.map((i) => replica.variables[i] as tf.Variable);
  const { value, grads } = tf.variableGrads(lossOf, learning);
  try {
    request.learning.forEach((i, j) => replica.gradients.set(grads[learning[j]!.name]!.dataSync() as Float32Array, replica.layout.offsets[i]));
    return { type: 'step', loss: value.dataSync()[0] as number, correct: (correct as tf.Scalar).dataSync()[0] as number };
  } finally {
    tf.dispose([x, y, value, correct as tf.Scalar, ...Object.values(grads)]);
  }
}

function statistics(replica: Replica): Float32Array {
  const values = replica.model.nonTrainableWeights.map((w) => w.read());
  const layout = packLayout(values.map((v) => v.shape));
  const data = new Float32Array(layout.total);
  values.forEach((v, i) => data.set(v.dataSync() as Float32Array, layout.offsets[i]));
  return data;
}

function setStatistics(replica: Replica, data: Float32Array): void {
  const weights = replica.model.nonTrainableWeights;
  const layout = packLayout(weights.map((w) => w.shape as number[]));
  tf.tidy(() => weights.forEach((w, i) => w.write(unpackTensor(data, layout.offsets[i] as number, w.shape as number[]))));
}

async function start(setup: TrainWorkerSetup): Promise<void> {
  let replica: Replica;
  try {
    if (setup.backend === 'wasm') await import('@netblocks/wasm-train/register');
    await initBackend(setup.backend, { log: () => {} });
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: setup.modelTopology, weightSpecs: setup.weightSpecs as tf.io.WeightsManifestEntry[], weightData: setup.weightData }));
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const layout = packLayout(variables.map((v) => v.shape));
    if (layout.total !== setup.trainableLength) throw new Error(`the replica has ${layout.total} trainable values, the model ${setup.trainableLength}`);
    replica = { model, variables, layout, weights: new Float32Array(setup.weights), gradients: new Float32Array(setup.gradients) };
  } catch (error) {
    reply({ type: 'error', message: `cannot set up the replica: ${messageOf(error)}` });
    return;
  }
  parentPort?.on('message', (request: TrainRequest) => {
    try {
      if (request.type === 'step') reply(step(replica, setup, request));
      else if (request.type === 'get-statistics') {
        const data = statistics(replica);
        reply({ type: 'statistics', data }, [data.buffer as ArrayBuffer]);
      } else {
        setStatistics(replica, request.data);
        reply({ type: 'done' });
      }
    } catch (error) {
      reply({ type: 'error', message: messageOf(error) });
    }
  });
  reply({ type: 'ready' });
}

void start(workerData as TrainWorkerSetup);
