import * as tf from '@tensorflow/tfjs';
import { batchNormParamsOf, batchNormScaleShift, cloneLayer, type GraphNode, type ModelGraph, type RewriteRule } from '@netblocks/core';
import { NetblocksSeparableConv2D } from '@netblocks/depthwise-sep';
import { standaloneActivation } from './activation-rule.js';

function soleNext(tensor: tf.SymbolicTensor, graph: ModelGraph): GraphNode | null {
  const [next, ...more] = graph.consumers(tensor);
  return next !== undefined && more.length === 0 && graph.feedsOnly(tensor, next) && graph.singleCall(next.outboundLayer) === next ? next : null;
}

/**
 * Rule: a linear `NetblocksSeparableConv2D` followed by a BatchNormalization (folded into its
 * pointwise kernel and bias: the depthwise half is linear, so the BN scales only the pointwise
 * outputs) and then an activation becomes one separable conv with bias and that activation.
 */
export const separableChainRule: RewriteRule = (layer, graph) => {
  if (!(layer instanceof NetblocksSeparableConv2D) || layer.resolved.activation !== 'linear') return null;
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const convOut = call?.outputTensors[0];
  if (call === null || input === undefined || convOut === undefined) return null;
  const bn = soleNext(convOut, graph);
  if (bn === null || bn.outboundLayer.getClassName() !== 'BatchNormalization' || ![-1, 3].includes(bn.outboundLayer.getConfig()['axis'] as number)) return null;
  const bnOut = bn.outputTensors[0] as tf.SymbolicTensor;
  const actNode = soleNext(bnOut, graph);
  const activation = actNode === null ? null : standaloneActivation(actNode.outboundLayer);
  const nodes = activation === null ? [call, bn] : [call, bn, actNode as GraphNode];
  return {
    kind: 'separable-chain',
    layers: nodes.map((n) => n.outboundLayer),
    input,
    output: (nodes[nodes.length - 1] as GraphNode).outputTensors[0] as tf.SymbolicTensor,
    createLayer: () => cloneLayer(layer, { name: layer.name, useBias: true, activation: activation ?? 'linear' }),
    weights: () =>
      tf.tidy(() => {
        const [depthwise, pointwise, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D | undefined];
        const { scale, shift } = batchNormScaleShift(batchNormParamsOf(bn.outboundLayer));
        const b = bias ?? tf.zeros([pointwise.shape[3]]);
        return [depthwise.clone(), tf.mul(pointwise, scale), tf.add(tf.mul(b, scale), shift)];
      }),
  };
};
