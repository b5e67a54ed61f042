import * as tf from '@tensorflow/tfjs';
import type { FoldedKernel } from '@netblocks/core';
import { cloneLayer } from './conv-layers.js';
import { isContainer, isInputNode, ModelGraph, type GraphNode } from './model-graph.js';

/**
 * A group of layers of a model that one conv with bias can replace, computing the same function in
 * inference mode (a RepVGG block's branches, a conv and its BatchNorm, ...). A fusion rule finds it;
 * `reparameterizeWith` rebuilds the model with the replacement in its place.
 */
export interface Reparameterizable {
  /** What was found, e.g. `'repvgg'` or `'conv-bn'`. */
  kind: string;
  /** The layers replaced; the new model holds none of them. Their outputs feed nothing outside the
   * group but through `output`. */
  layers: readonly tf.layers.Layer[];
  /** The tensor of the original model that the replacement reads. */
  input: tf.SymbolicTensor;
  /** The tensor of the original model that the replacement's output stands for. */
  output: tf.SymbolicTensor;
  /** A new, unbuilt conv layer with a bias (its weights are `[kernel, bias]`) that replaces `layers`. */
  createLayer(): tf.layers.Layer;
  /** The replacement's kernel and bias, computed from the original layers' weights. The caller
   * owns (and disposes) both. */
  fuse(): FoldedKernel;
}

/**
 * A fusion rule: given one layer of a model (and the model's graph), describes the group that ends
 * at that layer when the rule recognizes one, else returns null. Rules only read the model.
 */
export type ReparameterizationRule = (layer: tf.layers.Layer, graph: ModelGraph) => Reparameterizable | null;

/**
 * What `rules` would replace in `model` (nested models not included): the first rule in the list
 * has priority, and a layer belongs to at most one group.
 */
export function findReparameterizable(model: tf.LayersModel, rules: readonly ReparameterizationRule[]): Reparameterizable[] {
  const graph = new ModelGraph(model);
  const claimed = new Set<tf.layers.Layer>();
  const found: Reparameterizable[] = [];
  for (const rule of rules) {
    for (const node of graph.nodes) {
      if (isInputNode(node) || claimed.has(node.outboundLayer)) continue;
      const match = rule(node.outboundLayer, graph);
      if (match === null || match.layers.some((layer) => claimed.has(layer))) continue;
      match.layers.forEach((layer) => claimed.add(layer));
      found.push(match);
    }
  }
  return found;
}

/** Copies `layer`'s weights into `copy` (same class and config, now built). */
function copyWeights(layer: tf.layers.Layer, copy: tf.layers.Layer): void {
  const weights = layer.getWeights();
  if (weights.length > 0) copy.setWeights(weights);
}

/** A fresh layer of the same class and config, or a rebuilt nested model. */
function copyOf(layer: tf.layers.Layer, rules: readonly ReparameterizationRule[]): { copy: tf.layers.Layer; nested: boolean } {
  if (isContainer(layer)) return { copy: reparameterizeWith(layer, rules), nested: true };
  return { copy: cloneLayer(layer), nested: false };
}

function checkNames(model: tf.LayersModel, groups: readonly Reparameterizable[], replacements: readonly tf.layers.Layer[]): void {
  const replaced = new Set(groups.flatMap((g) => g.layers));
  const names = new Set(model.layers.filter((l) => !replaced.has(l)).map((l) => l.name));
  for (const layer of replacements) {
    if (names.has(layer.name)) {
      throw new Error(`reparameterize: the fused layer's name is taken by another layer of model ${model.name} (got name=${JSON.stringify(layer.name)})`);
    }
    names.add(layer.name);
  }
}

/**
 * A NEW model that computes what `model` computes in inference mode, with every group the `rules`
 * find replaced by one conv with bias (see `Reparameterizable`). Every other layer is copied with
 * its config, name and weights; nested models are rebuilt the same way. `model` is left untouched
 * and shares no weights with the result. The result is a functional `tf.LayersModel`.
 */
export function reparameterizeWith(model: tf.LayersModel, rules: readonly ReparameterizationRule[]): tf.LayersModel {
  const graph = new ModelGraph(model);
  const groups = findReparameterizable(model, rules);
  const byOutput = new Map(groups.map((g) => [g.output.id, g] as const));
  const replaced = new Set(groups.flatMap((g) => g.layers));
  const replacements = new Map(groups.map((g) => [g, g.createLayer()] as const));
  checkNames(model, groups, [...replacements.values()]);

  const tensors = new Map<number, tf.SymbolicTensor>();
  const mapped = (t: tf.SymbolicTensor): tf.SymbolicTensor => {
    const found = tensors.get(t.id);
    if (found === undefined) throw new Error(`reparameterize: tensor ${t.name} of model ${model.name} was not rebuilt before its use`);
    return found;
  };
  const inputs = model.inputs.map((t) => {
    const input = tf.input({ batchShape: t.shape, dtype: t.dtype, name: t.sourceLayer.name });
    tensors.set(t.id, input);
    return input;
  });
  const copies = new Map<tf.layers.Layer, tf.layers.Layer>();
  const rebuildNode = (node: GraphNode): void => {
    const group = node.outputTensors.length === 1 ? byOutput.get((node.outputTensors[0] as tf.SymbolicTensor).id) : undefined;
    if (group !== undefined) {
      const layer = replacements.get(group) as tf.layers.Layer;
      tensors.set(group.output.id, layer.apply(mapped(group.input)) as tf.SymbolicTensor);
      const { kernel, bias } = group.fuse();
      layer.setWeights([kernel, bias]);
      tf.dispose([kernel, bias]);
      return;
    }
    const layer = node.outboundLayer;
    if (replaced.has(layer)) return;
    let copy = copies.get(layer);
    const first = copy === undefined;
    let nested = false;
    if (copy === undefined) {
      ({ copy, nested } = copyOf(layer, rules));
      copies.set(layer, copy);
    }
    const args = node.inputTensors.map(mapped);
    const out = copy.apply(args.length === 1 ? (args[0] as tf.SymbolicTensor) : args, node.callArgs ?? {});
    const outs = Array.isArray(out) ? (out as tf.SymbolicTensor[]) : [out as tf.SymbolicTensor];
    node.outputTensors.forEach((t, i) => tensors.set(t.id, outs[i] as tf.SymbolicTensor));
    if (first && !nested) copyWeights(layer, copy);
  };
  for (const node of graph.nodes) {
    if (!isInputNode(node)) rebuildNode(node);
  }
  return tf.model({ inputs, outputs: model.outputs.map(mapped), name: model.name });
}
