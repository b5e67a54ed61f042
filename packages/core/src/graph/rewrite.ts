import * as tf from '@tensorflow/tfjs';
import { cloneLayer } from './clone-layer.js';
import { isContainer, isInputNode, ModelGraph, type GraphNode } from './model-graph.js';

/**
 * A group of layers of a model, fed by one tensor and producing one, that one new layer (or nothing:
 * an identity at inference) can stand for: a conv and its BatchNorm, a RepVGG block's branches, a
 * Dropout. A rewrite rule finds it; `rewriteModel` rebuilds the model with the replacement in place.
 */
export interface GraphRewrite {
  /** What was found, e.g. `'conv-bn'`, `'repvgg'`, `'identity'`. */
  kind: string;
  /** The layers replaced; the new model holds none of them. Their outputs feed nothing outside the
   * group but through `output`. */
  layers: readonly tf.layers.Layer[];
  /** The tensor of the original model that the replacement reads. */
  input: tf.SymbolicTensor;
  /** The tensor of the original model that the replacement's output stands for. */
  output: tf.SymbolicTensor;
  /** A new, unbuilt layer that replaces `layers`; null when the group is an identity (its output is
   * its input). */
  createLayer(): tf.layers.Layer | null;
  /** The replacement's weights, in its `getWeights()` order, computed from the original layers'. The
   * caller owns (and disposes) them. */
  weights(): tf.Tensor[];
}

/** What a rule must tell about a group for the search: the layers it claims. */
export interface ClaimsLayers {
  layers: readonly tf.layers.Layer[];
}

/**
 * A rewrite rule: given one layer of a model (and the model's graph), describes the group that the
 * rule recognizes at that layer, else returns null. Rules only read the model.
 */
export type RewriteRule<T extends ClaimsLayers = GraphRewrite> = (layer: tf.layers.Layer, graph: ModelGraph) => T | null;

/**
 * What `rules` would replace in `model` (nested models not included): the first rule in the list
 * has priority, nodes are visited inputs first, and a layer belongs to at most one group.
 */
export function findRewrites<T extends ClaimsLayers>(model: tf.LayersModel, rules: readonly RewriteRule<T>[]): T[] {
  const graph = new ModelGraph(model);
  const claimed = new Set<tf.layers.Layer>();
  const found: T[] = [];
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

function checkNames(model: tf.LayersModel, groups: readonly GraphRewrite[], replacements: readonly tf.layers.Layer[]): void {
  const replaced = new Set(groups.flatMap((g) => g.layers));
  const names = new Set(model.layers.filter((l) => !replaced.has(l)).map((l) => l.name));
  for (const layer of replacements) {
    if (names.has(layer.name)) {
      throw new Error(`rewriteModel: the new layer's name is taken by another layer of model ${model.name} (got name=${JSON.stringify(layer.name)})`);
    }
    names.add(layer.name);
  }
}

/**
 * A NEW model that computes what `model` computes in inference mode, with every group the `rules`
 * find replaced (see `GraphRewrite`). Every other layer is copied with its config, name and weights;
 * nested models are rebuilt the same way. `model` is left untouched and shares no weights with the
 * result, a functional `tf.LayersModel`.
 */
export function rewriteModel(model: tf.LayersModel, rules: readonly RewriteRule[]): tf.LayersModel {
  const graph = new ModelGraph(model);
  const groups = findRewrites(model, rules);
  const byOutput = new Map(groups.map((g) => [g.output.id, g] as const));
  const replaced = new Set(groups.flatMap((g) => g.layers));
  const replacements = new Map(groups.map((g) => [g, g.createLayer()] as const));
  checkNames(model, groups, [...replacements.values()].filter((l): l is tf.layers.Layer => l !== null));

  const tensors = new Map<number, tf.SymbolicTensor>();
  const mapped = (t: tf.SymbolicTensor): tf.SymbolicTensor => {
    const found = tensors.get(t.id);
    if (found === undefined) throw new Error(`rewriteModel: tensor ${t.name} of model ${model.name} was not rebuilt before its use`);
    return found;
  };
  const inputs = model.inputs.map((t) => {
    const input = tf.input({ batchShape: t.shape, dtype: t.dtype, name: t.sourceLayer.name });
    tensors.set(t.id, input);
    return input;
  });
  const copies = new Map<tf.layers.Layer, tf.layers.Layer>();
  const rebuildGroup = (group: GraphRewrite): void => {
    const layer = replacements.get(group) ?? null;
    if (layer === null) {
      tensors.set(group.output.id, mapped(group.input));
      return;
    }
    tensors.set(group.output.id, layer.apply(mapped(group.input)) as tf.SymbolicTensor);
    const weights = group.weights();
    layer.setWeights(weights);
    tf.dispose(weights);
  };
  const rebuildNode = (node: GraphNode): void => {
    const group = node.outputTensors.length === 1 ? byOutput.get((node.outputTensors[0] as tf.SymbolicTensor).id) : undefined;
    if (group !== undefined) return rebuildGroup(group);
    const layer = node.outboundLayer;
    if (replaced.has(layer)) return;
    let copy = copies.get(layer);
    const first = copy === undefined;
    if (copy === undefined) {
      copy = isContainer(layer) ? rewriteModel(layer, rules) : cloneLayer(layer);
      copies.set(layer, copy);
    }
    const args = node.inputTensors.map(mapped);
    const out = copy.apply(args.length === 1 ? (args[0] as tf.SymbolicTensor) : args, node.callArgs ?? {});
    const outs = Array.isArray(out) ? (out as tf.SymbolicTensor[]) : [out as tf.SymbolicTensor];
    node.outputTensors.forEach((t, i) => tensors.set(t.id, outs[i] as tf.SymbolicTensor));
    if (first && !isContainer(layer)) {
      const weights = layer.getWeights();
      if (weights.length > 0) copy.setWeights(weights);
    }
  };
  for (const node of graph.nodes) {
    if (!isInputNode(node)) rebuildNode(node);
  }
  return tf.model({ inputs, outputs: model.outputs.map(mapped), name: model.name });
}
