import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/**
 * Runs `fn` and asserts that it leaves no more tensors alive than before. The result of `fn`
 * (tensors in it too) is disposed before counting, so `fn` may return what it computed.
 */
export async function expectNoLeakedTensors(fn: () => unknown): Promise<void> {
  const before = tf.memory().numTensors;
  const result = await fn();
  tf.dispose(result as tf.TensorContainer);
  const after = tf.memory().numTensors;
  expect(after - before, `tensors leaked: ${after - before}`).toBe(0);
}
