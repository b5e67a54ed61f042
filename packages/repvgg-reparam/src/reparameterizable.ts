import type * as tf from '@tensorflow/tfjs';
import { findRewrites, rewriteModel, type FoldedKernel, type GraphRewrite, type ModelGraph, type RewriteRule } from '@netblocks/core';

/**
 * A group of layers of a model that one conv with bias can replace, computing the same function in
 * inference mode (a RepVGG block's branches, a conv and its BatchNorm, ...). A fusion rule finds it;
 * `reparameterizeWith` rebuilds the model with the replacement in its place (core's `rewriteModel`).
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

/** The general rewrite that a conv-with-bias fusion is: weights `[kernel, bias]`. */
function asRewrite(found: Reparameterizable): GraphRewrite {
  return {
    ...found,
    weights: () => {
      const { kernel, bias } = found.fuse();
      return [kernel, bias];
    },
  };
}

/** `rule` as a core rewrite rule. */
export function asRewriteRule(rule: ReparameterizationRule): RewriteRule {
  return (layer, graph) => {
    const found = rule(layer, graph);
    return found === null ? null : asRewrite(found);
  };
}

/**
 * What `rules` would replace in `model` (nested models not included): the first rule in the list
 * has priority, and a layer belongs to at most one group.
 */
export function findReparameterizable(model: tf.LayersModel, rules: readonly ReparameterizationRule[]): Reparameterizable[] {
  return findRewrites(model, rules);
}

/**
 * A NEW model that computes what `model` computes in inference mode, with every group the `rules`
 * find replaced by one conv with bias (see `Reparameterizable`). Every other layer is copied with
 * its config, name and weights; nested models are rebuilt the same way. `model` is left untouched
 * and shares no weights with the result. The result is a functional `tf.LayersModel`.
 */
export function reparameterizeWith(model: tf.LayersModel, rules: readonly ReparameterizationRule[]): tf.LayersModel {
  return rewriteModel(model, rules.map(asRewriteRule));
}
