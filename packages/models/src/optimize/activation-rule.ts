import type * as tf from '@tensorflow/tfjs';
import { ActivationLayer, type ActivationName, type RewriteRule } from '@netblocks/core';
import { activationName } from './conv-source.js';

/**
 * The activation `layer` computes when it is an element-wise activation layer netblocks knows
 * (`Activation`, a plain or capped-at-6 `ReLU`, `NetblocksActivation`), else null.
 */
export function standaloneActivation(layer: tf.layers.Layer): ActivationName | null {
  const config = layer.getConfig();
  switch (layer.getClassName()) {
    case 'Activation':
    case ActivationLayer.className:
      return activationName(config['activation']);
    case 'ReLU': {
      const maxValue = config['maxValue'] ?? null;
      if (maxValue === null) return 'relu';
      return maxValue === 6 ? 'relu6' : null;
    }
    default:
      return null;
  }
}

/** Activations that `tf.layers` computes in more kernels than `ActivationLayer` does. */
const SLOWER_IN_TF_LAYERS: ReadonlySet<ActivationName> = new Set(['relu6', 'swish']);

/**
 * Rule: an activation layer that `tf.layers` runs as several kernels (relu6: relu then minimum;
 * swish: scale, sigmoid, multiply) becomes an `ActivationLayer` of the same name (one and two).
 * Those right after a conv are fused into it by `convChainRule` instead.
 */
export const activationRule: RewriteRule = (layer, graph) => {
  const name = standaloneActivation(layer);
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const output = call?.outputTensors[0];
  if (name === null || !SLOWER_IN_TF_LAYERS.has(name) || layer instanceof ActivationLayer || input === undefined || output === undefined) return null;
  return {
    kind: 'activation',
    layers: [layer],
    input,
    output,
    createLayer: () => new ActivationLayer({ name: layer.name, activation: name }),
    weights: () => [],
  };
};
