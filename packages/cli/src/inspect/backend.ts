import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@netblocks/core';
import type { TrainBackend } from '../train/config.js';

/** Sets up `backend` for inference (no training kernels needed), silently. */
export async function initInferenceBackend(backend: TrainBackend): Promise<void> {
  await initBackend(backend, { log: () => {} });
}

/** The machine a measurement ran on: `2 x AMD EPYC ..., Node 20.x, tfjs 4.22.0, wasm backend`. */
export function machineDescription(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.versions.node}, tfjs ${tf.version.tfjs}, ${tf.getBackend()} backend`;
}
