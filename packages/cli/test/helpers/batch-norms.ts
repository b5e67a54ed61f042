import * as tf from '@tensorflow/tfjs';

/**
 * Gives every BatchNormalization of `model` random gamma, beta, moving mean and variance, as a
 * trained network has: at initialization they are 1, 0, 0, 1, and folding them would be trivially right.
 */
export function randomizeBatchNorms(model: tf.LayersModel, seed = 7): void {
  let s = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const weights = layer.weights.map((w) =>
      /gamma|variance/.test(w.originalName) ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', s++) : tf.randomNormal(w.shape as number[], 0, 0.2, 'float32', s++),
    );
    layer.setWeights(weights);
    tf.dispose(weights);
  }
}
