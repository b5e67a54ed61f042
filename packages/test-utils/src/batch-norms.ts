import * as tf from '@tensorflow/tfjs';

/**
 * Gives every BatchNormalization of `model` (nested models included) random gamma, beta, moving mean
 * and moving variance, as a trained network has: at initialization they are 1, 0, 0, 1, which makes
 * folding a BatchNorm into its conv trivially right and a test of it worthless. Deterministic per seed.
 */
export function randomizeBatchNorms(model: tf.LayersModel, seed = 7): void {
  let s = seed;
  for (const layer of model.layers) {
    if ('layers' in layer && Array.isArray((layer as tf.LayersModel).layers)) randomizeBatchNorms(layer as tf.LayersModel, s++);
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const weights = layer.weights.map((w) => {
      const positive = /gamma|variance/.test(w.originalName);
      const shape = w.shape as number[];
      return positive ? tf.randomUniform(shape, 0.5, 1.5, 'float32', s++) : tf.randomNormal(shape, 0, 0.2, 'float32', s++);
    });
    layer.setWeights(weights);
    tf.dispose(weights);
  }
}
