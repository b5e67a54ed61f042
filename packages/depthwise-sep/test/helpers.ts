import * as tf from '@tensorflow/tfjs';
import type { BlockFn } from '@netblocks/core';

/** A model from one block on an input of `shape` (no batch). */
export function modelOf(block: BlockFn, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape, name: 'input' });
  return tf.model({ inputs: input, outputs: block(input) });
}

/** Gives every BatchNorm of `model` random gamma, beta, moving mean and (positive) moving
 * variance, so that inference through it is not close to the identity. */
export function randomizeBatchNorms(model: tf.LayersModel, seed = 1): void {
  model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .forEach((layer, i) => {
      const [gamma] = layer.getWeights();
      const channels = gamma?.shape[0] ?? 0;
      const s = seed * 100 + i * 4;
      tf.tidy(() =>
        layer.setWeights([
          tf.randomUniform([channels], 0.5, 1.5, 'float32', s),
          tf.randomNormal([channels], 0, 0.5, 'float32', s + 1),
          tf.randomNormal([channels], 0, 0.5, 'float32', s + 2),
          tf.randomUniform([channels], 0.5, 2, 'float32', s + 3),
        ]),
      );
    });
}

/** Inference BatchNorm with the weights of the layer `name` of `model` (gamma, beta, mean, variance). */
export function batchNormOf(model: tf.LayersModel, name: string, x: tf.Tensor, epsilon = 1e-5): tf.Tensor {
  const [gamma, beta, mean, variance] = model.getLayer(name).getWeights() as tf.Tensor1D[];
  return tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, epsilon);
}

/** The weights of layer `name` of `model`. */
export function weightsOf(model: tf.LayersModel, name: string): tf.Tensor4D[] {
  return model.getLayer(name).getWeights() as tf.Tensor4D[];
}

/** Names of the layers of `model` that hold weights, in order. */
export function weightedLayerNames(model: tf.LayersModel): string[] {
  return model.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
}
