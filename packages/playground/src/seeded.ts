import * as tf from '@tensorflow/tfjs';

/**
 * Gives every weight of `layer` seeded random values (normal, mean 0, `std`), so that a picture
 * is the same on every load; `override` picks another distribution for some weights by index.
 */
export function seedLayerWeights(
  layer: tf.layers.Layer,
  seed: number,
  std: number,
  override: (index: number, shape: number[], seed: number) => tf.Tensor | undefined = () => undefined,
): void {
  const values = layer.getWeights().map((w, i) => override(i, w.shape, seed + i) ?? tf.randomNormal(w.shape, 0, std, 'float32', seed + i));
  layer.setWeights(values);
  tf.dispose(values);
}

/** Reads a tensor's values and disposes it (for results made inside `tf.tidy`, read outside it). */
export function take(t: tf.Tensor): Float32Array {
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}
