// Data parallelism for `trainEpochs`: every batch is split into contiguous shards, each shard runs
// its own forward and backward pass (BatchNorm on that shard's statistics, as PyTorch DDP), and the
// gradients are averaged weighted by shard size, which is the gradient of the whole batch's mean
// loss. The shards run either one after the other on this thread (`localShards`: gradient
// accumulation over "ghost batches") or at once on worker threads (`startTrainWorkers`); both give
// the same numbers. The one optimizer stays on this thread and the workers get the new weights
// before each step.

import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { TrainBackend } from './config.js';
import type { TrainReply, TrainRequest, TrainWorkerSetup } from './protocol.js';
import { packLayout, packTensors, shardRanges, unpackTensor, weightedSum } from './shards.js';
import { trainWorkerFile } from './worker-file.js';

/** A batch as arrays: `labels.length` images of `shape`, one after the other. */
export interface BatchArrays {
  images: Float32Array;
  labels: Int32Array;
  shape: [number, number, number];
}

/** What a step needs to know beyond the batch. */
export interface ShardStepOptions {
  /** BatchNorm on batch statistics and dropout on (false while the backbone is frozen). */
  training: boolean;
  /** Indices of the trainable variables that get gradients (the others get none). */
  learning: number[];
  numClasses: number;
  labelSmoothing: number;
}

/** The batch's mean loss, correct predictions and mean gradients. */
export interface ShardStepResult {
  loss: number;
  correct: number;
  /** Packed in the trainable variables' order (`packLayout`); zero for the variables not learning. */
  gradients: Float32Array;
}

/** Computes a batch's gradients over shards (on this thread or on workers). */
export interface ShardComputer {
  /** Shards of every batch (a batch smaller than this has fewer). */
  readonly shards: number;
  gradients(model: tf.LayersModel, batch: BatchArrays, options: ShardStepOptions): Promise<ShardStepResult>;
  /** After the optimizer step: the replicas must see `model`'s new weights. */
  weightsChanged(model: tf.LayersModel): void;
  /** Before a checkpoint or an evaluation: `model` takes rank 0's BatchNorm running statistics, and every replica too. */
  syncStatistics(model: tf.LayersModel): Promise<void>;
}

function shardTensors(batch: BatchArrays, start: number, size: number, numClasses: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const pixels = batch.shape[0] * batch.shape[1] * batch.shape[2];
  return tf.tidy(() => ({
    x: tf.tensor4d(batch.images.subarray(start * pixels, (start + size) * pixels), [size, ...batch.shape]),
    y: tf.oneHot(tf.tensor1d(batch.labels.subarray(start, start + size), 'int32'), numClasses).toFloat() as tf.Tensor2D,
  }));
}

/**
 * The shards one after the other on this thread: accumulated gradients, BatchNorm per shard. The
 * running statistics are those of the first shard's pass (rank 0's, as DDP's `broadcast_buffers`),
 * so this is exactly what `startTrainWorkers` computes.
 */
export function localShards(shards: number): ShardComputer {
  return {
    shards,
    async gradients(model, batch, options) {
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const learning = options.learning.map((i) => variables[i] as tf.Variable);
      const layout = packLayout(variables.map((v) => v.shape));
      const ranges = shardRanges(batch.labels.length, shards);
      // Each shard's gradients packed as a worker sends them, then summed as the workers' are.
      const packed = ranges.map(() => new Float32Array(layout.total));
      const weights = ranges.map((r) => r.size / batch.labels.length);
      let loss = 0;
      let correct = 0;
      let statistics: tf.Tensor[] | null = null;
      for (const [k, range] of ranges.entries()) {
        const { x, y } = shardTensors(batch, range.start, range.size, options.numClasses);
        let hits: tf.Scalar | undefined;
        const lossOf = (): tf.Scalar => {
          const logits = model.apply(x, { training: options.training }) as tf.Tensor2D;
          hits = tf.keep(tf.sum(tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)).toFloat()) as tf.Scalar);
          return tf.losses.softmaxCrossEntropy(y, logits, undefined, options.labelSmoothing) as tf.Scalar;
        };
        const { value, grads } = tf.variableGrads(lossOf, learning);
        options.learning.forEach((i, j) => packed[k]!.set(grads[learning[j]!.name]!.dataSync() as Float32Array, layout.offsets[i]));
        loss += (value.dataSync()[0] as number) * (weights[k] as number);
        correct += (hits as tf.Scalar).dataSync()[0] as number;
        tf.dispose([x, y, value, hits as tf.Scalar, ...Object.values(grads)]);
        if (k === 0 && ranges.length > 1) statistics = model.nonTrainableWeights.map((w) => tf.clone(w.read()));
      }
      if (statistics) {
        const kept = statistics;
        model.nonTrainableWeights.forEach((w, i) => w.write(kept[i] as tf.Tensor));
        tf.dispose(kept);
      }
      return { loss, correct, gradients: weightedSum(packed, weights, layout, options.learning) };
    },
    weightsChanged() {},
    async syncStatistics() {},
  };
}

/** One worker thread and its queue of requests (answered in order). */
class TrainWorkerHandle {
  private readonly pending: { resolve: (reply: TrainReply) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | null = null;
  private closing = false;

  constructor(
    readonly worker: Worker,
    readonly label: string,
  ) {
    worker.on('message', (message: TrainReply) => {
      const next = this.pending.shift();
      if (!next) return;
      if (message.type === 'error') next.reject(new Error(`${this.label}: ${message.message}`));
      else next.resolve(message);
    });
    worker.on('error', (error) => this.fail(new Error(`${this.label}: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`${this.label} exited (code ${code})`));
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.splice(0)) p.reject(error);
  }

  /** The next reply (the first is 'ready'). */
  next(): Promise<TrainReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  request(message: TrainRequest, transfer: ArrayBuffer[] = []): Promise<TrainReply> {
    const reply = this.next();
    if (!this.failure) this.worker.postMessage(message, transfer);
    return reply;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}

/** Options of `startTrainWorkers`. */
export interface TrainWorkersOptions {
  /** TF.js backend of every worker. Default 'wasm' (with @netblocks/wasm-train's gradient kernels). */
  backend?: TrainBackend;
  /** The worker entry. Default the built one beside this module (`trainWorkerFile`). */
  workerFile?: URL;
}

/** `workers` replicas on worker threads; `close` ends them (always call it). */
export interface TrainWorkers extends ShardComputer {
  close(): Promise<void>;
}

/**
 * Starts `workers` threads, each with its own backend and a replica of `model` (its topology and
 * every weight, so the replicas are identical), for `trainEpochs`'s `shardComputer`. Shard k of
 * every batch goes to worker k; the gradients come back through one SharedArrayBuffer per worker,
 * the new weights go out through one shared by all.
 */
export async function startTrainWorkers(model: tf.LayersModel, workers: number, options: TrainWorkersOptions = {}): Promise<TrainWorkers> {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`\`workers\` must be a positive integer (got workers=${workers})`);
  const file = options.workerFile ?? trainWorkerFile();
  const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve, reject) => {
    model
      .save(
        tf.io.withSaveHandler(async (a) => {
          resolve(a);
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      )
      .catch(reject);
  });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const layout = packLayout(variables.map((v) => v.shape));
  const weights = new SharedArrayBuffer(4 * layout.total);
  const gradientBuffers = Array.from({ length: workers }, () => new SharedArrayBuffer(4 * layout.total));
  const weightView = new Float32Array(weights);
  const gradientViews = gradientBuffers.map((b) => new Float32Array(b));
  const shape = model.inputs[0]!.shape.slice(1) as [number, number, number];
  const numClasses = model.outputs[0]!.shape[1] as number;
  const handles = gradientBuffers.map((gradients, i) => {
    const setup: TrainWorkerSetup = {
      backend: options.backend ?? 'wasm',
      modelTopology: artifacts.modelTopology as object,
      weightSpecs: artifacts.weightSpecs as TrainWorkerSetup['weightSpecs'],
      weightData: tf.io.concatenateArrayBuffers([artifacts.weightData as ArrayBuffer].flat()),
      numClasses,
      imageShape: shape,
      weights,
      gradients,
      trainableLength: layout.total,
    };
    return new TrainWorkerHandle(new Worker(file, { workerData: setup }), `train worker ${i + 1} of ${workers}`);
  });
  const close = () => Promise.all(handles.map((h) => h.close())).then(() => {});
  try {
    await Promise.all(handles.map((h) => h.next()));
  } catch (error) {
    await close();
    throw error;
  }
  // Which workers have not read the latest weights yet (at first they hold them all).
  const stale = handles.map(() => false);
  return {
    shards: workers,
    async gradients(_model, batch, step) {
      if (step.numClasses !== numClasses) throw new Error(`train workers train the model's ${numClasses} outputs (got numClasses=${step.numClasses})`);
      const ranges = shardRanges(batch.labels.length, workers);
      const pixels = shape[0] * shape[1] * shape[2];
      const replies = await Promise.all(
        ranges.map((range, k) => {
          const images = batch.images.slice(range.start * pixels, (range.start + range.size) * pixels);
          const labels = batch.labels.slice(range.start, range.start + range.size);
          // Workers left without a shard (a short last batch) read the weights at their next one.
          const loadWeights = stale[k] as boolean;
          stale[k] = false;
          return handles[k]!.request({ type: 'step', images, labels, training: step.training, learning: step.learning, labelSmoothing: step.labelSmoothing, loadWeights }, [images.buffer, labels.buffer]);
        }),
      );
      const weightsOf = ranges.map((r) => r.size / batch.labels.length);
      let loss = 0;
      let correct = 0;
      replies.forEach((reply, k) => {
        if (reply.type !== 'step') throw new Error(`train worker ${k + 1} of ${workers}: unexpected reply ${reply.type}`);
        loss += reply.loss * (weightsOf[k] as number);
        correct += reply.correct;
      });
      return { loss, correct, gradients: weightedSum(gradientViews.slice(0, ranges.length), weightsOf, layout, step.learning) };
    },
    weightsChanged(current) {
      packTensors(current.trainableWeights.map((w) => w.read()), weightView, layout.offsets);
      stale.fill(true);
    },
    async syncStatistics(current) {
      if (current.nonTrainableWeights.length === 0) return;
      const reply = await handles[0]!.request({ type: 'get-statistics' });
      if (reply.type !== 'statistics') throw new Error(`train worker 1 of ${workers}: unexpected reply ${reply.type}`);
      const stats = current.nonTrainableWeights;
      const statLayout = packLayout(stats.map((w) => w.shape as number[]));
      tf.tidy(() => stats.forEach((w, i) => w.write(unpackTensor(reply.data, statLayout.offsets[i] as number, w.shape as number[]))));
      await Promise.all(handles.slice(1).map((h) => h.request({ type: 'set-statistics', data: reply.data })));
    },
    close,
  };
}
