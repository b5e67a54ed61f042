import type * as tf from '@tensorflow/tfjs';
import type { ActivationName, GraphNode, ModelGraph } from '@netblocks/core';
import { standaloneActivation } from './activation-rule.js';

/** The call that alone reads `tensor` (once, not a model output) when its layer is called only there. */
export function soleNext(tensor: tf.SymbolicTensor, graph: ModelGraph): GraphNode | null {
  const [next, ...more] = graph.consumers(tensor);
  return next !== undefined && more.length === 0 && graph.feedsOnly(tensor, next) && graph.singleCall(next.outboundLayer) === next ? next : null;
}

/** True for a BatchNormalization over the last axis of a rank-`rank` tensor. */
export function isLastAxisBatchNorm(layer: tf.layers.Layer, rank: number): boolean {
  if (layer.getClassName() !== 'BatchNormalization') return false;
  const axis = layer.getConfig()['axis'];
  return axis === -1 || axis === rank - 1;
}

/** A layer's only call, the BatchNorm that alone reads its output, and the activation after that. */
export interface BatchNormChain {
  call: GraphNode;
  input: tf.SymbolicTensor;
  bn: GraphNode;
  /** The activation layer after the BN, when `accept` takes its activation. */
  activation: { node: GraphNode; name: ActivationName } | null;
  /** Every call of the chain, first to last, and the tensor the last one produces. */
  nodes: GraphNode[];
  output: tf.SymbolicTensor;
}

/**
 * The chain `layer -> BatchNormalization -> activation` (the activation only when `accept` takes
 * it), each step the only reader of the one before; null when `layer` has no such BatchNorm.
 */
export function batchNormChain(layer: tf.layers.Layer, graph: ModelGraph, accept: (activation: ActivationName) => boolean): BatchNormChain | null {
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const out = call?.outputTensors[0];
  if (call === null || input === undefined || out === undefined) return null;
  const bn = soleNext(out, graph);
  if (bn === null || !isLastAxisBatchNorm(bn.outboundLayer, out.shape.length)) return null;
  const next = soleNext(bn.outputTensors[0] as tf.SymbolicTensor, graph);
  const name = next === null ? null : standaloneActivation(next.outboundLayer);
  const activation = next !== null && name !== null && accept(name) ? { node: next, name } : null;
  const nodes = activation === null ? [call, bn] : [call, bn, activation.node];
  return { call, input, bn, activation, nodes, output: (nodes[nodes.length - 1] as GraphNode).outputTensors[0] as tf.SymbolicTensor };
}
