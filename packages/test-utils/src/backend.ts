import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';

/** Selects a TF.js backend for the whole test file ('cpu' unless told otherwise). */
export function useBackend(name: 'cpu' | 'wasm' = 'cpu'): void {
  beforeAll(async () => {
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`could not set TF.js backend "${name}"`);
    await tf.ready();
  });
}
