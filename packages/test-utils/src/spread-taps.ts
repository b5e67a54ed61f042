import * as tf from '@tensorflow/tfjs';

/**
 * The undilated kernel a dilated one stands for, tap by tap: `[kh, kw, ...]` becomes
 * `[d(kh-1)+1, d(kw-1)+1, ...]` with tap `(i, j)` at `(d i, d j)` and zeros between (the definition
 * of a dilated conv), written from the values, not with the ops the code under test uses.
 */
export function spreadTaps(kernel: tf.Tensor4D, d: number): tf.Tensor4D {
  const [kh, kw, a, b] = kernel.shape;
  const source = kernel.bufferSync();
  const out = tf.buffer([d * (kh - 1) + 1, d * (kw - 1) + 1, a, b], 'float32');
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) out.set(source.get(i, j, p, q), d * i, d * j, p, q);
  return out.toTensor() as tf.Tensor4D;
}
