import * as tf from '@tensorflow/tfjs';

/** How `applyShardGradients` treats the backbone (every variable not in `head`), as `fineTuneStep` does. */
export interface ApplyOptions {
  /** The classifier's variable names; empty: no backbone/head split. */
  head: ReadonlySet<string>;
  frozen: boolean;
  backboneLrScale: number;
}

/** Indices of the variables a step differentiates: the classifier's alone while the backbone is frozen. */
export function learningIndices(variables: readonly tf.Variable[], options: ApplyOptions): number[] {
  const all = variables.map((_, i) => i);
  return options.frozen && options.head.size > 0 ? all.filter((i) => options.head.has(variables[i]!.name)) : all;
}

/**
 * One optimizer step from gradients already computed (by index into `variables`; missing ones are
 * zero): the second half of @netblocks/models' `fineTuneStep`, which computes its gradients itself.
 * Every variable is passed, in the model's order (TF.js's Adam keys its moments by position); a
 * backbone learning rate below 1 scales the backbone's update. Disposes `gradients`.
 */
export function applyShardGradients(optimizer: tf.Optimizer, variables: readonly tf.Variable[], gradients: Map<number, tf.Tensor>, options: ApplyOptions): void {
  const ordered: tf.NamedTensorMap = {};
  variables.forEach((v, i) => (ordered[v.name] = gradients.get(i) ?? tf.zerosLike(v)));
  const scaled = options.head.size === 0 || options.frozen || options.backboneLrScale === 1 ? [] : variables.filter((v) => !options.head.has(v.name));
  const before = scaled.map((v) => tf.clone(v));
  optimizer.applyGradients(ordered);
  tf.tidy(() => scaled.forEach((v, i) => v.assign(tf.add(before[i] as tf.Tensor, tf.mul(tf.sub(v, before[i] as tf.Tensor), options.backboneLrScale)))));
  tf.dispose([...Object.values(ordered), ...before]);
}
