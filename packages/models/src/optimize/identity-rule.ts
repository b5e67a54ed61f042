import type * as tf from '@tensorflow/tfjs';
import type { RewriteRule } from '@netblocks/core';

/** Layers that are the identity at inference: dropout in all its forms, and stochastic depth. */
const INFERENCE_IDENTITIES: ReadonlySet<string> = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'AlphaDropout',
  'GaussianDropout',
  'GaussianNoise',
  'NetblocksStochasticDepth',
]);

const sameShape = (a: tf.Shape, b: tf.Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** True when `layer`, called on `input` giving `output`, leaves every value where it was. */
function isNoOp(layer: tf.layers.Layer, input: tf.SymbolicTensor, output: tf.SymbolicTensor): boolean {
  const className = layer.getClassName();
  if (INFERENCE_IDENTITIES.has(className)) return true;
  const known = input.shape.slice(1).every((d) => d !== null);
  if (className === 'Reshape' || className === 'Flatten') return known && sameShape(input.shape, output.shape);
  if (className === 'Permute') {
    const dims = layer.getConfig()['dims'];
    return Array.isArray(dims) && dims.every((d, i) => d === i + 1);
  }
  if (className === 'NetblocksChannelShuffle') return layer.getConfig()['groups'] === 1;
  return false;
}

/**
 * Rule: a layer that computes the identity at inference (Dropout, stochastic depth, a Reshape to
 * the shape it has, an identity Permute, a one-group channel shuffle) is dropped: its output is its
 * input.
 */
export const identityRule: RewriteRule = (layer, graph) => {
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const output = call?.outputTensors[0];
  if (call === null || call.inputTensors.length !== 1 || input === undefined || output === undefined) return null;
  if (!isNoOp(layer, input, output)) return null;
  return { kind: 'identity', layers: [layer], input, output, createLayer: () => null, weights: () => [] };
};
