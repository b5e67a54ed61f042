import * as tf from '@tensorflow/tfjs';

/** Activations a block can name. Each maps to one fused TF.js kernel where TF.js has one. */
export type ActivationName = 'relu' | 'relu6' | 'swish' | 'sigmoid' | 'hardSigmoid' | 'gelu' | 'tanh' | 'elu' | 'linear';

const ACTIVATIONS: ReadonlySet<string> = new Set<ActivationName>([
  'relu',
  'relu6',
  'swish',
  'sigmoid',
  'hardSigmoid',
  'gelu',
  'tanh',
  'elu',
  'linear',
]);

/** Throws unless `name` is an activation netblocks knows; `argName` goes into the message. */
export function checkActivation(name: string, argName = 'activation'): ActivationName {
  if (!ACTIVATIONS.has(name)) {
    throw new Error(`\`${argName}\` must be one of ${[...ACTIVATIONS].join(', ')} (got ${argName}=${JSON.stringify(name)})`);
  }
  return name as ActivationName;
}

/** An activation layer with a deterministic name (`tf.layers.activation` under the hood). */
export function activationLayer(activation: ActivationName, name: string): tf.layers.Layer {
  checkActivation(activation);
  return tf.layers.activation({ activation: activation as never, name });
}
