import * as tf from '@tensorflow/tfjs';
import {
  batchNormScaleShift,
  batchNormParamsOf,
  FusedConv2D,
  type ActivationName,
  type AxisPadding,
  type GraphNode,
  type ModelGraph,
  type RewriteRule,
} from '@netblocks/core';
import { GroupConv2D, blockDiagonalKernel, type GroupConvActivation } from '@netblocks/group-conv';
import { describeConvSource, type ConvSource } from './conv-source.js';
import { standaloneActivation } from './activation-rule.js';
import { isLastAxisBatchNorm, soleNext } from './chain.js';

/** Activations `GroupConv2D` fuses into its output. */
const GROUP_CONV_ACTIVATIONS: ReadonlySet<string> = new Set<GroupConvActivation>(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);

/** The only call of `layer`, when its one output feeds only the layer after it. */
function soleCall(layer: tf.layers.Layer, graph: ModelGraph): GraphNode | null {
  const call = graph.singleCall(layer);
  return call !== null && call.inputTensors.length === 1 && call.outputTensors.length === 1 ? call : null;
}

/** Per-side padding of a channels-last ZeroPadding2D: `[[top, bottom], [left, right]]`, else null. */
function zeroPadding(layer: tf.layers.Layer): [AxisPadding, AxisPadding] | null {
  if (layer.getClassName() !== 'ZeroPadding2D') return null;
  const config = layer.getConfig();
  if ((config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return null;
  const p = config['padding'];
  if (typeof p === 'number') return [[p, p], [p, p]];
  if (!Array.isArray(p) || p.length !== 2) return null;
  const side = (v: unknown): AxisPadding | null =>
    typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number') ? [v[0] as number, v[1] as number] : null;
  const [h, w] = [side(p[0]), side(p[1])];
  return h === null || w === null ? null : [h, w];
}

/** A pad -> conv -> BatchNorm -> activation chain found around one conv. */
interface ConvChain {
  pad: GraphNode | null;
  conv: ConvSource;
  convCall: GraphNode;
  bn: GraphNode | null;
  activation: { node: GraphNode; name: ActivationName } | null;
}

function findChain(layer: tf.layers.Layer, graph: ModelGraph): ConvChain | null {
  const convCall = soleCall(layer, graph);
  const convInput = convCall?.inputTensors[0];
  if (convCall === null || convInput === undefined) return null;
  const conv = describeConvSource(layer, convInput.shape);
  if (conv === null) return null;
  // A ZeroPadding2D that feeds only this conv becomes part of the conv's explicit padding.
  const padCall = soleCall(convInput.sourceLayer, graph);
  let pad = padCall !== null && zeroPadding(padCall.outboundLayer) !== null && graph.feedsOnly(convInput, convCall) ? padCall : null;
  // A GroupConv2D kept as such pads only PyTorch's way: absorb a ZeroPadding2D only when that is the sum.
  if (pad !== null && keepsGroupConv(conv) && groupConvPadding(conv, combinedPadding(conv, pad)) === null) pad = null;
  let tail = convCall.outputTensors[0] as tf.SymbolicTensor;
  let bn: GraphNode | null = null;
  if (conv.activation === 'linear') {
    const next = soleNext(tail, graph);
    if (next !== null && isLastAxisBatchNorm(next.outboundLayer, 4)) {
      bn = next;
      tail = next.outputTensors[0] as tf.SymbolicTensor;
    }
  }
  let activation: ConvChain['activation'] = null;
  if (conv.activation === 'linear') {
    const next = soleNext(tail, graph);
    const name = next === null ? null : standaloneActivation(next.outboundLayer);
    if (next !== null && name !== null && (conv.kind !== 'group' || GROUP_CONV_ACTIVATIONS.has(name))) activation = { node: next, name };
  }
  return { pad, conv, convCall, bn, activation };
}

/** The chain's kernel and bias with the BatchNorm folded in (TF layout, output channels last). */
function foldedWeights(chain: ConvChain, kernel: tf.Tensor4D): tf.Tensor[] {
  return tf.tidy(() => {
    const { conv } = chain;
    const bias = conv.bias ?? tf.zeros([conv.filters]);
    if (chain.bn === null) return [kernel.clone(), bias.clone()];
    const { scale, shift } = batchNormScaleShift(batchNormParamsOf(chain.bn.outboundLayer));
    // Depthwise kernels [kh, kw, C, m] scale output channel c*m + j: reshape the scale to [C, m].
    const kernelScale = conv.kind === 'depthwise' ? tf.reshape(scale, [kernel.shape[2], kernel.shape[3]]) : scale;
    return [tf.mul(kernel, kernelScale), tf.add(tf.mul(bias, scale), shift)];
  });
}

/** The conv's own padding plus that of the ZeroPadding2D before it. */
function combinedPadding(conv: ConvSource, pad: GraphNode | null): [[number, number], [number, number]] {
  const extra = pad === null ? null : zeroPadding(pad.outboundLayer);
  return conv.padding.map((side, i) => {
    const more = extra?.[i] ?? [0, 0];
    return [side[0] + more[0], side[1] + more[1]];
  }) as [[number, number], [number, number]];
}

/** The GroupConv2D padding mode that pads `padding`, or null when none does. */
function groupConvPadding(conv: ConvSource, padding: [[number, number], [number, number]]): 'torch' | 'valid' | null {
  if (padding.flat().every((p) => p === 0)) return 'valid';
  const torch = [0, 1].map((i) => (conv.dilationRate[i as 0 | 1] * (conv.kernelSize[i as 0 | 1] - 1)) / 2);
  return padding.every(([before, after], i) => before === torch[i] && after === torch[i]) ? 'torch' : null;
}

function keepsGroupConv(conv: ConvSource): boolean {
  return conv.kind === 'group' && !denseIsFaster(conv);
}

/**
 * Whether a grouped conv runs faster as one dense conv over its block-diagonal kernel (G times the
 * MACs in one GEMM, built once here): for 1x1 kernels with at most 8 groups, where the grouped
 * strategies cost 3.6-10.9x a dense conv of their MACs on wasm (tools/bench/results/group-conv.md).
 */
function denseIsFaster(conv: ConvSource): boolean {
  return conv.kind === 'group' && conv.kernelSize[0] === 1 && conv.kernelSize[1] === 1 && conv.groups <= 8;
}

/**
 * Rule, found at a conv (Conv2D, DepthwiseConv2D, NetblocksDepthwiseConv2D, GroupConv2D, core's
 * DilatedConv2D; dilated ones stay dilated, `FusedConv2D` takes the `dilationRate`): the conv
 * with the ZeroPadding2D before it, the BatchNormalization after it (folded: `W * s`, `b * s + t`
 * with `s = gamma / sqrt(var + eps)`, `t = beta - mean * s`) and the activation after that, each
 * absorbed when it feeds only the next, becomes one `FusedConv2D` (explicit padding, bias and
 * activation in one TF.js fused kernel). A grouped conv stays a `GroupConv2D` (bias, activation,
 * its strategy fixed) unless the block-diagonal dense form is faster.
 */
export const convChainRule: RewriteRule = (layer, graph) => {
  const chain = findChain(layer, graph);
  if (chain === null) return null;
  const { conv, pad, bn, activation } = chain;
  const padding = combinedPadding(conv, pad);
  const nodes = [pad, chain.convCall, bn, activation?.node].filter((n): n is GraphNode => n !== null && n !== undefined);
  const input = (pad ?? chain.convCall).inputTensors[0] as tf.SymbolicTensor;
  const output = (nodes[nodes.length - 1] as GraphNode).outputTensors[0] as tf.SymbolicTensor;
  const act = activation?.name ?? conv.activation;
  const keepGroups = keepsGroupConv(conv);
  return {
    kind: 'conv-chain',
    layers: nodes.map((n) => n.outboundLayer),
    input,
    output,
    createLayer: () => (keepGroups ? groupConvLayer(conv, padding, act) : fusedConvLayer(conv, padding, act)),
    weights: () => {
      if (conv.kind !== 'group' || keepGroups) return foldedWeights(chain, conv.kernel);
      const dense = blockDiagonalKernel(conv.kernel, conv.groups);
      const folded = foldedWeights(chain, dense);
      dense.dispose();
      return folded;
    },
  };
};

function fusedConvLayer(conv: ConvSource, padding: [[number, number], [number, number]], activation: ActivationName): FusedConv2D {
  return new FusedConv2D({
    name: conv.layer.name,
    filters: conv.filters,
    kernelSize: conv.kernelSize,
    strides: conv.strides,
    dilationRate: conv.dilationRate,
    padding,
    depthwise: conv.kind === 'depthwise',
    activation,
  });
}

function groupConvLayer(conv: ConvSource, padding: [[number, number], [number, number]], activation: ActivationName): GroupConv2D {
  const own = (conv.layer as GroupConv2D).resolved;
  return new GroupConv2D({
    ...own,
    name: conv.layer.name,
    // Same padding as before: 'same' stays 'same' (no ZeroPadding2D is absorbed then).
    padding: own.padding === 'same' ? 'same' : (groupConvPadding(conv, padding) ?? own.padding),
    useBias: true,
    activation: activation as GroupConvActivation,
  });
}
