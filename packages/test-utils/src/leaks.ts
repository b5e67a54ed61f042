import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

function checkCount(before: number, result: unknown): void {
  tf.dispose(result as tf.TensorContainer);
  const after = tf.memory().numTensors;
  expect(after - before, `tensors leaked: ${after - before}`).toBe(0);
}

/**
 * Runs `fn` and asserts that it leaves no more tensors alive than before. The result of `fn`
 * (tensors in it too) is disposed before counting, so `fn` may return what it computed.
 * Synchronous for a synchronous `fn` (the check fails the test right there); for an async `fn`
 * it returns a promise that must be awaited.
 */
export function expectNoLeakedTensors(fn: () => Promise<unknown>): Promise<void>;
export function expectNoLeakedTensors(fn: () => unknown): void;
export function expectNoLeakedTensors(fn: () => unknown): void | Promise<void> {
  const before = tf.memory().numTensors;
  const result = fn();
  if (result instanceof Promise) return result.then((r) => checkCount(before, r));
  checkCount(before, result);
}
