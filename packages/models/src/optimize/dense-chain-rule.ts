import type * as tf from '@tensorflow/tfjs';
import { batchNormParamsOf, cloneLayer, foldBatchNormIntoDense, type RewriteRule } from '@netblocks/core';
import { batchNormChain } from './chain.js';

/** Activations tfjs-layers' Dense runs inside its fused matmul kernel. */
const DENSE_FUSED: ReadonlySet<string> = new Set(['linear', 'relu', 'elu']);

/**
 * Rule: a linear Dense on features `[N, C]` followed by a BatchNormalization over its outputs
 * (folded: `W * s`, `b * s + t`) and then an activation that Dense fuses (relu, elu) becomes one
 * Dense with bias and that activation.
 */
export const denseChainRule: RewriteRule = (layer, graph) => {
  if (layer.getClassName() !== 'Dense' || (layer.getConfig()['activation'] ?? 'linear') !== 'linear') return null;
  if (graph.singleCall(layer)?.outputTensors[0]?.shape.length !== 2) return null;
  const chain = batchNormChain(layer, graph, (name) => DENSE_FUSED.has(name));
  if (chain === null) return null;
  return {
    kind: 'dense-bn',
    layers: chain.nodes.map((n) => n.outboundLayer),
    input: chain.input,
    output: chain.output,
    createLayer: () => cloneLayer(layer, { name: layer.name, useBias: true, activation: chain.activation?.name ?? 'linear' }),
    weights: () => {
      const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D | undefined];
      const folded = foldBatchNormIntoDense(kernel, bias, batchNormParamsOf(chain.bn.outboundLayer));
      return [folded.kernel, folded.bias];
    },
  };
};
