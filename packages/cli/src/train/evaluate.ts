import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';

/** What `evaluate` measures on a held-out set. */
export interface Evaluation {
  images: number;
  /** Top-1 accuracy in [0, 1]. */
  accuracy: number;
  /** Mean softmax cross-entropy. */
  loss: number;
  /** Accuracy of each class, index = label (NaN where the set has no image of it). */
  perClassAccuracy: number[];
}

/** Top-1 accuracy and loss of `model` (logits out) on `set`, in batches, in inference mode. */
export async function evaluate(model: tf.LayersModel, set: ImageSet, numClasses: number, batchSize = 128): Promise<Evaluation> {
  const [h, w, c] = set.shape;
  const pixels = h * w * c;
  const count = set.labels.length;
  const hits = new Array<number>(numClasses).fill(0);
  const totals = new Array<number>(numClasses).fill(0);
  let lossSum = 0;
  for (let from = 0; from < count; from += batchSize) {
    const size = Math.min(batchSize, count - from);
    const labels = set.labels.subarray(from, from + size);
    const [predicted, losses] = tf.tidy(() => {
      const x = tf.tensor4d(set.images.subarray(from * pixels, (from + size) * pixels), [size, h, w, c]);
      const logits = model.predict(x) as tf.Tensor2D;
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat();
      // Per-image cross-entropy, -sum(y * log softmax(logits)).
      return [tf.argMax(logits, -1), tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1))];
    });
    const [p, l] = await Promise.all([predicted.data(), losses.data()]);
    tf.dispose([predicted, losses]);
    for (let i = 0; i < size; i++) {
      const label = labels[i] as number;
      totals[label] = (totals[label] ?? 0) + 1;
      if (p[i] === label) hits[label] = (hits[label] ?? 0) + 1;
      lossSum += l[i] as number;
    }
  }
  const correct = hits.reduce((a, b) => a + b, 0);
  return {
    images: count,
    accuracy: count > 0 ? correct / count : 0,
    loss: count > 0 ? lossSum / count : 0,
    perClassAccuracy: totals.map((t, i) => (t > 0 ? (hits[i] as number) / t : Number.NaN)),
  };
}
