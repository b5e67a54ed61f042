import type * as tf from '@tensorflow/tfjs';
import { batchNormParamsOf, cloneLayer, foldBatchNormIntoDense, type GraphNode, type ModelGraph, type RewriteRule } from '@netblocks/core';
import { standaloneActivation } from './activation-rule.js';

/** Activations tfjs-layers' Dense runs inside its fused matmul kernel. */
const DENSE_FUSED: ReadonlySet<string> = new Set(['linear', 'relu', 'elu']);

function soleNext(tensor: tf.SymbolicTensor, graph: ModelGraph): GraphNode | null {
  const [next, ...more] = graph.consumers(tensor);
  return next !== undefined && more.length === 0 && graph.feedsOnly(tensor, next) && graph.singleCall(next.outboundLayer) === next ? next : null;
}

/**
 * Rule: a linear Dense on features `[N, C]` followed by a BatchNormalization over its outputs
 * (folded: `W * s`, `b * s + t`) and then an activation that Dense fuses (relu, elu) becomes one
 * Dense with bias and that activation.
 */
export const denseChainRule: RewriteRule = (layer, graph) => {
  if (layer.getClassName() !== 'Dense' || (layer.getConfig()['activation'] ?? 'linear') !== 'linear') return null;
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const out = call?.outputTensors[0];
  if (call === null || input === undefined || out === undefined || out.shape.length !== 2) return null;
  const bn = soleNext(out, graph);
  if (bn === null || bn.outboundLayer.getClassName() !== 'BatchNormalization' || ![-1, 1].includes(bn.outboundLayer.getConfig()['axis'] as number)) return null;
  const actNode = soleNext(bn.outputTensors[0] as tf.SymbolicTensor, graph);
  const activation = actNode === null ? null : standaloneActivation(actNode.outboundLayer);
  const fusedAct = activation !== null && DENSE_FUSED.has(activation) ? activation : null;
  const nodes = fusedAct === null ? [call, bn] : [call, bn, actNode as GraphNode];
  return {
    kind: 'dense-bn',
    layers: nodes.map((n) => n.outboundLayer),
    input,
    output: (nodes[nodes.length - 1] as GraphNode).outputTensors[0] as tf.SymbolicTensor,
    createLayer: () => cloneLayer(layer, { name: layer.name, useBias: true, activation: fusedAct ?? 'linear' }),
    weights: () => {
      const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D | undefined];
      const folded = foldBatchNormIntoDense(kernel, bias, batchNormParamsOf(bn.outboundLayer));
      return [folded.kernel, folded.bias];
    },
  };
};
