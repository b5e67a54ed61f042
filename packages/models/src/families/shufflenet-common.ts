import * as tf from '@tensorflow/tfjs';
import { convBnAct, torchPad } from '@netblocks/core';
import type { ResolvedModelOptions } from '../types.js';

/** Units per stage in both ShuffleNets (stages 2-4). */
export const STAGE_REPEATS = [4, 8, 4] as const;

/** The stem both ShuffleNets share: 3x3/2 conv -> BN -> ReLU (`${name}.0/.1/.2`), then a 3x3/2 max-pool. */
export function shuffleNetStem(input: tf.SymbolicTensor, name: string, filters: number, options: ResolvedModelOptions): [tf.SymbolicTensor, tf.SymbolicTensor] {
  const act = convBnAct({ name, filters, kernelSize: 3, strides: 2, padding: options.padding, epsilon: options.bnEpsilon })(input);
  const torch = options.padding === 'torch';
  // PyTorch's MaxPool2d(3, 2, 1); zero padding equals its -inf padding after the ReLU.
  const pool = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: torch ? 'valid' : 'same', name: 'maxpool' });
  return [act, pool.apply(torch ? torchPad('maxpool.pad', 3)(act) : act) as tf.SymbolicTensor];
}
