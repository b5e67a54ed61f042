// Messages between `startTrainWorkers` (the main thread) and a training worker (worker.ts).

import type { TrainBackend } from './config.js';

/** What a worker starts from (its `workerData`). */
export interface TrainWorkerSetup {
  backend: TrainBackend;
  /** The model as `tf.io.fromMemory` takes it: topology, weight specs and values. */
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: ArrayBuffer;
  numClasses: number;
  /** [height, width, channels] of an image. */
  imageShape: [number, number, number];
  /** The trainable weights, packed in the model's order: written by the main thread after each step. */
  weights: SharedArrayBuffer;
  /** This worker's gradients, packed in the same layout: written by the worker. */
  gradients: SharedArrayBuffer;
  /** Length of the packed trainable weights, checked against the replica. */
  trainableLength: number;
}

export type TrainRequest =
  | {
      type: 'step';
      images: Float32Array;
      labels: Int32Array;
      /** BatchNorm on batch statistics and dropout on (false: the frozen backbone runs as at inference). */
      training: boolean;
      /** Indices (in the model's trainable order) of the variables to differentiate. */
      learning: number[];
      labelSmoothing: number;
      /** Read the trainable weights from the shared buffer before the step. */
      loadWeights: boolean;
    }
  | { type: 'get-statistics' }
  | { type: 'set-statistics'; data: Float32Array };

export type TrainReply =
  | { type: 'ready' }
  | { type: 'step'; loss: number; correct: number }
  | { type: 'statistics'; data: Float32Array }
  | { type: 'done' }
  | { type: 'error'; message: string };
