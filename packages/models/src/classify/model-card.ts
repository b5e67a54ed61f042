// What a model says about its inputs and classes: `pretrainedCfg` on a model from
// `createPretrainedModel`, or the `netblocks` entry of its user-defined metadata, which TF.js saves
// in model.json and restores on load, so a fine-tuned model keeps its class names and recipe.

import type * as tf from '@tensorflow/tfjs';
import type { Preprocessing } from '../types.js';

/** A model's preprocessing and class names. */
export interface ModelCard {
  preprocessing?: Preprocessing;
  labels?: readonly string[];
}

const KEY = 'netblocks';

/** The card of `model`: what `setModelCard` recorded (and model.json restores), else its `pretrainedCfg`. */
export function modelCard(model: tf.LayersModel): ModelCard {
  const cfg = (model as { pretrainedCfg?: ModelCard }).pretrainedCfg;
  const stored = (model.getUserDefinedMetadata() as Record<string, ModelCard> | undefined)?.[KEY];
  const preprocessing = stored?.preprocessing ?? cfg?.preprocessing;
  const labels = stored ? stored.labels : cfg?.labels;
  return { ...(preprocessing ? { preprocessing } : {}), ...(labels ? { labels } : {}) };
}

/** Records `card` in the model's user-defined metadata (kept by `model.save`), beside any other entries. */
export function setModelCard(model: tf.LayersModel, card: ModelCard): void {
  const outputs = model.outputs[0]?.shape.at(-1);
  if (card.labels !== undefined && typeof outputs === 'number' && card.labels.length !== outputs) {
    throw new Error(`setModelCard: \`labels\` has ${card.labels.length} names for a model with ${outputs} outputs`);
  }
  const others = (model.getUserDefinedMetadata() as Record<string, unknown> | undefined) ?? {};
  model.setUserDefinedMetadata({ ...others, [KEY]: { ...card, ...(card.labels ? { labels: [...card.labels] } : {}) } });
}
