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

/** The activations TF.js fuses into its conv kernels, by netblocks name. */
const FUSED: Partial<Record<ActivationName, tf.fused.Activation>> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  sigmoid: 'sigmoid',
};

/** The fused-kernel name of `activation`, or undefined when TF.js has no fused kernel for it. */
export function fusedActivation(activation: ActivationName): tf.fused.Activation | undefined {
  return FUSED[activation];
}

/**
 * Applies `activation` element-wise, computing exactly what `tf.layers.activation` computes for
 * the same name (so a fused op and an op followed by an activation layer agree).
 */
export function applyActivation(x: tf.Tensor, activation: ActivationName): tf.Tensor {
  switch (checkActivation(activation)) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'swish':
      return tf.mul(tf.sigmoid(x), x);
    case 'hardSigmoid':
      // Keras' piecewise-linear sigmoid: clip(0.2 x + 0.5, 0, 1).
      return tf.clipByValue(tf.add(0.5, tf.mul(0.2, x)), 0, 1);
    case 'gelu':
      // Exact GELU, x * Phi(x), as tfjs-layers and PyTorch's default compute it.
      return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
  }
}
