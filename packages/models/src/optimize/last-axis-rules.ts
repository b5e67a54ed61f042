import type * as tf from '@tensorflow/tfjs';
import type { ModelGraph, RewriteRule } from '@netblocks/core';
import { ChannelDense, LayerNorm, type ChannelDenseActivation } from '@netblocks/mlp-mixer';

/** The only call of `layer` on one input with one output, and that input's rank. */
function singleCallOf(layer: tf.layers.Layer, graph: ModelGraph): { input: tf.SymbolicTensor; output: tf.SymbolicTensor; rank: number } | null {
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const output = call?.outputTensors[0];
  if (call === null || call.inputTensors.length !== 1 || input === undefined || output === undefined) return null;
  return { input, output, rank: input.shape.length };
}

/**
 * Rule: a LayerNormalization over the last axis only becomes a `LayerNorm` (mlp-mixer's) of the
 * same name, epsilon, center, scale and weights: the same function without the four wasm Tile
 * kernels that tf.layers' implementation runs per call (Mixer-B/16: 39% of the kernel time).
 */
export const layerNormRule: RewriteRule = (layer, graph) => {
  if (layer.getClassName() !== 'LayerNormalization') return null;
  const call = singleCallOf(layer, graph);
  if (call === null) return null;
  const config = layer.getConfig();
  const axis = config['axis'];
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (typeof a === 'number' && a < 0 ? a + call.rank : a));
  if (axes.length !== 1 || axes[0] !== call.rank - 1) return null;
  const { epsilon, center, scale } = config as { epsilon: number; center: boolean; scale: boolean };
  return {
    kind: 'layer-norm',
    layers: [layer],
    input: call.input,
    output: call.output,
    createLayer: () => new LayerNorm({ name: layer.name, epsilon, center, scale }),
    weights: () => layer.getWeights().map((w) => w.clone()),
  };
};

const CHANNEL_DENSE_ACTIVATIONS: ReadonlySet<string> = new Set<ChannelDenseActivation>(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);

/**
 * Rule: a Dense on a rank >= 3 input (the Mixer's channel MLP on `[N, S, C]`) becomes a
 * `ChannelDense` of the same name, units, bias, activation and weights: one 2-D matmul on the kernel
 * itself, where tf.layers copies the kernel every call and XNNPACK then repacks it.
 */
export const channelDenseRule: RewriteRule = (layer, graph) => {
  if (layer.getClassName() !== 'Dense') return null;
  const call = singleCallOf(layer, graph);
  if (call === null || call.rank < 3) return null;
  const config = layer.getConfig();
  const activation = (config['activation'] ?? 'linear') as string;
  if (!CHANNEL_DENSE_ACTIVATIONS.has(activation)) return null;
  const units = config['units'] as number;
  const useBias = (config['useBias'] ?? true) as boolean;
  return {
    kind: 'channel-dense',
    layers: [layer],
    input: call.input,
    output: call.output,
    createLayer: () => new ChannelDense({ name: layer.name, units, useBias, activation: activation as ChannelDenseActivation }),
    weights: () => layer.getWeights().map((w) => w.clone()),
  };
};
