// Where a fine-tuning run starts: a published checkpoint (timm's on the Hub, torchvision's release
// files, through the caches Python uses) or a model `netblocks train` saved, with a new classifier
// for the data's classes. Either way the backbone's weights are the checkpoint's and the run learns
// which preprocessing they expect.

import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadModel } from '@netblocks/core/node';
import { classifierLayer, modelCard, type PretrainedModelOptions, type Preprocessing } from '@netblocks/models';
import { createPretrainedModel } from '@netblocks/models/node';
import { UsageError } from '../errors.js';

/** A model to fine-tune, and the preprocessing its weights were trained with (null: pixels in [0, 1] as they are). */
export interface StartingPoint {
  model: tf.LayersModel;
  normalization: Preprocessing | null;
  /** What the weights are, for messages. */
  source: string;
}

function usageError<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The saved model directory `source` names: a model directory (`model.json`), or a training run's (its `model/`). */
function savedModelDir(source: string): string | null {
  if (!existsSync(source) || !statSync(source).isDirectory()) return null;
  if (existsSync(path.join(source, 'model.json'))) return source;
  if (existsSync(path.join(source, 'model', 'model.json'))) return path.join(source, 'model');
  throw new UsageError(`--weights: ${source} is a directory without a saved model (no model.json, nor model/model.json)`);
}

/**
 * Copies every weight of `from` into the layer of the same name in `into`, except `into`'s
 * classifier. Layer names are the reference implementation's, so the same architecture matches
 * layer for layer; anything that does not is an error naming the layer.
 */
function copyBackbone(from: tf.LayersModel, into: tf.LayersModel, source: string): void {
  const skip = usageError(() => classifierLayer(into).name);
  const sourceSkip = usageError(() => classifierLayer(from).name);
  const byName = new Map(from.layers.map((layer) => [layer.name, layer]));
  for (const layer of into.layers) {
    if (layer.name === skip || layer.weights.length === 0) continue;
    const twin = byName.get(layer.name);
    if (twin === undefined) throw new UsageError(`--weights: ${source} has no layer ${layer.name}: it is not a ${into.name} (another model or other options)`);
    const weights = twin.getWeights();
    const shapes = layer.weights.map((w) => JSON.stringify(w.shape));
    const given = weights.map((w) => JSON.stringify(w.shape));
    if (shapes.join() !== given.join()) throw new UsageError(`--weights: layer ${layer.name} of ${source} has weights of shapes ${given.join(', ')}, the model needs ${shapes.join(', ')} (another input size's channels, width or groups?)`);
    layer.setWeights(weights);
  }
  const missing = from.layers.filter((l) => l.weights.length > 0 && l.name !== sourceSkip && !into.layers.some((m) => m.name === l.name));
  if (missing.length > 0) throw new UsageError(`--weights: ${source} has layers the model lacks (${missing.slice(0, 3).map((l) => l.name).join(', ')}): it is not a ${into.name}`);
}

/** A published checkpoint's location from `--weights`: `hub:<owner/repo>`, an http(s) URL, or a tag of `model`. */
function publishedOptions(weights: string): Pick<PretrainedModelOptions, 'tag' | 'weights'> {
  if (weights === 'default') return {};
  if (weights.startsWith('hub:')) return { weights: { kind: 'hub', repo: weights.slice('hub:'.length) } };
  if (/^https?:\/\//.test(weights)) return { weights: { kind: 'url', url: weights } };
  return { tag: weights };
}

/**
 * Builds the model a fine-tune starts from. `weights` is `'default'` (the model's default published
 * checkpoint), a tag (`a1_in1k`), `hub:<owner/repo>`, an http(s) URL, or a directory holding a model
 * `netblocks train` saved. `build(numClasses)` builds the fresh model of the run's options.
 */
export async function startingPoint(
  modelName: string,
  weights: string,
  numClasses: number,
  build: () => tf.LayersModel,
  options: Pick<PretrainedModelOptions, 'inputShape' | 'widthMultiplier' | 'groups' | 'dropRate'>,
): Promise<StartingPoint> {
  const dir = savedModelDir(weights);
  if (dir !== null) {
    const saved = await loadModel(dir);
    const model = build();
    try {
      copyBackbone(saved, model, dir);
    } catch (error) {
      model.dispose();
      throw error;
    } finally {
      saved.dispose();
    }
    return { model, normalization: modelCard(saved).preprocessing ?? null, source: dir };
  }
  try {
    const model = await createPretrainedModel(modelName, { ...publishedOptions(weights), ...options, numClasses });
    return { model, normalization: model.pretrainedCfg.preprocessing, source: model.pretrainedCfg.source };
  } catch (error) {
    throw new UsageError(`--weights ${weights}: ${(error as Error).message}`);
  }
}
