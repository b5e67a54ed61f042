// One optimizer step of a fine-tune: the classifier at the full learning rate, the backbone slower
// or frozen. The training loops of `fineTune` (any platform) and `netblocks train` both take it.

import * as tf from '@tensorflow/tfjs';

/** The layer that produces the model's output: the classifier a fine-tune replaces and trains from the start. */
export function classifierLayer(model: tf.LayersModel): tf.layers.Layer {
  const output = model.outputs[0];
  if (output === undefined || output.sourceLayer.getClassName() !== 'Dense') {
    throw new Error(`fine-tuning needs a model whose output is a Dense classifier (${model.name} ends in ${output?.sourceLayer.getClassName() ?? 'nothing'})`);
  }
  return output.sourceLayer as tf.layers.Layer;
}

/** The names of the classifier's variables (what trains while the backbone is frozen). */
export function classifierVariables(model: tf.LayersModel): Set<string> {
  return new Set(classifierLayer(model).trainableWeights.map((w) => (w.read() as tf.Variable).name));
}

/** How a step treats the backbone (every variable not in `head`). */
export interface FineTuneStepOptions {
  /** The classifier's variable names (`classifierVariables`). */
  head: ReadonlySet<string>;
  /** Only the classifier learns; the backbone keeps its weights. */
  frozen: boolean;
  /** The backbone's learning rate as a fraction of the optimizer's. */
  backboneLrScale: number;
}

/**
 * One optimizer step over `variables` (every trainable variable, in the model's order: TF.js's Adam
 * keys its moments by position in the gradient map, so every step must pass the same variables in
 * the same order). Frozen backbone variables get zero gradients, so their moments stay zero and
 * they do not move; a backbone learning rate below the classifier's scales the backbone's step
 * (Adam's step is proportional to the learning rate and its moments independent of it), which is
 * exactly the step Adam with that rate makes. The one optimizer counts the frozen steps too, so once
 * the backbone trains its bias correction is that of an Adam that saw zero gradients while frozen:
 * its first steps are smaller than a fresh Adam's (after 16 frozen steps the first is about half),
 * a short warm-up. Returns the loss.
 */
export function fineTuneStep(optimizer: tf.Optimizer, variables: readonly tf.Variable[], loss: () => tf.Scalar, options: FineTuneStepOptions): tf.Scalar {
  const learning = options.frozen ? variables.filter((v) => options.head.has(v.name)) : [...variables];
  const { value, grads } = tf.variableGrads(loss, learning);
  applyFineTuneGradients(optimizer, variables, grads, options);
  return value;
}

/**
 * The update half of `fineTuneStep`, from gradients computed elsewhere (by variable name; a missing
 * one is zero), e.g. averaged over data-parallel workers. Disposes `grads`.
 */
export function applyFineTuneGradients(optimizer: tf.Optimizer, variables: readonly tf.Variable[], grads: tf.NamedTensorMap, options: FineTuneStepOptions): void {
  const ordered: tf.NamedTensorMap = {};
  for (const v of variables) ordered[v.name] = grads[v.name] ?? tf.zerosLike(v);
  const scaled = options.head.size === 0 || options.frozen || options.backboneLrScale === 1 ? [] : variables.filter((v) => !options.head.has(v.name));
  const before = scaled.map((v) => tf.clone(v));
  optimizer.applyGradients(ordered);
  tf.tidy(() => scaled.forEach((v, i) => v.assign(tf.add(before[i] as tf.Tensor, tf.mul(tf.sub(v, before[i] as tf.Tensor), options.backboneLrScale)))));
  tf.dispose([...Object.values(ordered), ...before]);
}
