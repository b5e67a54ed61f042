import type * as tf from '@tensorflow/tfjs';
import { applyFineTuneGradients } from '@netblocks/models';

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
 * zero): @netblocks/models' `applyFineTuneGradients`, the update half of `fineTuneStep`. Disposes
 * `gradients`.
 */
export function applyShardGradients(optimizer: tf.Optimizer, variables: readonly tf.Variable[], gradients: Map<number, tf.Tensor>, options: ApplyOptions): void {
  const byName: tf.NamedTensorMap = {};
  for (const [i, gradient] of gradients) byName[(variables[i] as tf.Variable).name] = gradient;
  applyFineTuneGradients(optimizer, variables, byName, options);
}
