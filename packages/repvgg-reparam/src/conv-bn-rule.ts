import type * as tf from '@tensorflow/tfjs';
import { batchNormParamsOf, foldBatchNormIntoConv, foldBatchNormIntoDepthwise, type ModelGraph } from '@netblocks/core';
import { cloneLayer, describeConv, type ConvLayerInfo } from './conv-layers.js';
import type { ReparameterizationRule } from './reparameterizable.js';

/** True for a BatchNormalization over the channels (last) axis of a rank-4 tensor. */
export function isChannelsBatchNorm(layer: tf.layers.Layer, rank: number): boolean {
  if (layer.getClassName() !== 'BatchNormalization' || rank !== 4) return false;
  const axis = layer.getConfig()['axis'];
  return axis === -1 || axis === rank - 1;
}

/**
 * The conv that alone produces `tensor` and whose output feeds only `consumer`: the conv half of a
 * foldable conv -> BN pair. Null otherwise.
 */
export function soleConvBefore(tensor: tf.SymbolicTensor, consumer: ReturnType<ModelGraph['producer']>, graph: ModelGraph): ConvLayerInfo | null {
  const conv = describeConv(tensor.sourceLayer);
  if (conv === null) return null;
  const call = graph.singleCall(conv.layer);
  return call !== null && call === graph.producer(tensor) && graph.feedsOnly(tensor, consumer) ? conv : null;
}

/**
 * Rule: a Conv2D, DepthwiseConv2D or GroupConv2D (linear, any bias) whose output feeds only a
 * BatchNormalization becomes one conv with bias, keeping the conv's name:
 * `W' = W * gamma / sigma`, `b' = beta + (b - mu) * gamma / sigma`, `sigma = sqrt(var + eps)`.
 */
export const convBatchNormRule: ReparameterizationRule = (layer, graph) => {
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const output = call?.outputTensors[0];
  if (call === null || input === undefined || output === undefined || !isChannelsBatchNorm(layer, input.shape.length)) return null;
  const conv = soleConvBefore(input, call, graph);
  const convInput = conv && graph.singleCall(conv.layer)?.inputTensors[0];
  if (conv === null || convInput == null) return null;
  return {
    kind: 'conv-bn',
    layers: [conv.layer, layer],
    input: convInput,
    output,
    createLayer: () => cloneLayer(conv.layer, { name: conv.layer.name, useBias: true }),
    fuse: () => {
      const bn = batchNormParamsOf(layer);
      return conv.type === 'depthwiseConv2d'
        ? foldBatchNormIntoDepthwise(conv.kernel, conv.bias, bn)
        : foldBatchNormIntoConv(conv.kernel, conv.bias, bn);
    },
  };
};
