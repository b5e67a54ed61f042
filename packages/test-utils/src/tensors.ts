import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** max |a - b| / max |b|: the relative measure every parity test in netblocks uses. */
export function maxRelativeDifference(actual: tf.Tensor | ArrayLike<number>, expected: tf.Tensor | ArrayLike<number>): number {
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  const b = expected instanceof tf.Tensor ? expected.dataSync() : expected;
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
    maxRef = Math.max(maxRef, Math.abs(b[i] as number));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** The largest `maxRelativeDifference` over two models' weights, in order (BatchNorm statistics included); their counts must match. */
export function maxWeightsDifference(a: tf.LayersModel, b: tf.LayersModel): number {
  const wa = a.getWeights();
  const wb = b.getWeights();
  expect(wa.length).toBe(wb.length);
  return Math.max(...wa.map((w, i) => maxRelativeDifference(w, wb[i] as tf.Tensor)));
}

/**
 * Asserts equal shapes and values within `tolerance`, measured as max |a - b| / max |b|
 * (`relative`, default) or as max |a - b| (`absolute`).
 */
export function expectTensorsClose(
  actual: tf.Tensor,
  expected: tf.Tensor | number[],
  tolerance = 1e-5,
  mode: 'relative' | 'absolute' = 'relative',
): void {
  const exp = Array.isArray(expected) ? tf.tensor(expected) : expected;
  try {
    if (!Array.isArray(expected)) expect(actual.shape).toEqual(exp.shape);
    const a = actual.dataSync();
    const b = exp.dataSync();
    expect(a.length).toBe(b.length);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs((a[i] as number) - (b[i] as number));
      if (Number.isNaN(d)) throw new Error(`NaN at flat index ${i}: ${a[i]} vs ${b[i]}`);
      maxDiff = Math.max(maxDiff, d);
    }
    const measured = mode === 'relative' ? maxRelativeDifference(a, b) : maxDiff;
    expect(measured, `max ${mode} difference ${measured} (max abs ${maxDiff})`).toBeLessThanOrEqual(tolerance);
  } finally {
    if (Array.isArray(expected)) exp.dispose();
  }
}
