import * as tf from '@tensorflow/tfjs';
import { batchNormParamsOf, batchNormScaleShift, cloneLayer, type RewriteRule } from '@netblocks/core';
import { NetblocksSeparableConv2D } from '@netblocks/depthwise-sep';
import { batchNormChain } from './chain.js';

/**
 * Rule: a linear `NetblocksSeparableConv2D` followed by a BatchNormalization (folded into its
 * pointwise kernel and bias: the depthwise half is linear, so the BN scales only the pointwise
 * outputs) and then an activation becomes one separable conv with bias and that activation.
 */
export const separableChainRule: RewriteRule = (layer, graph) => {
  if (!(layer instanceof NetblocksSeparableConv2D) || layer.resolved.activation !== 'linear') return null;
  const chain = batchNormChain(layer, graph, () => true);
  if (chain === null) return null;
  return {
    kind: 'separable-chain',
    layers: chain.nodes.map((n) => n.outboundLayer),
    input: chain.input,
    output: chain.output,
    createLayer: () => cloneLayer(layer, { name: layer.name, useBias: true, activation: chain.activation?.name ?? 'linear' }),
    weights: () =>
      tf.tidy(() => {
        const [depthwise, pointwise, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D | undefined];
        const { scale, shift } = batchNormScaleShift(batchNormParamsOf(chain.bn.outboundLayer));
        const b = bias ?? tf.zeros([pointwise.shape[3]]);
        return [depthwise.clone(), tf.mul(pointwise, scale), tf.add(tf.mul(b, scale), shift)];
      }),
  };
};
