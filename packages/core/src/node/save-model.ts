import * as tf from '@tensorflow/tfjs';
import { replaceDirectory } from './atomic-directory.js';
import type { DirectoryFile } from './atomic-directory.js';
import {
  DEFAULT_SHARD_SIZE_BYTES,
  MODEL_JSON_FILE,
  shardFileName,
  splitIntoShards,
  toModelJson,
} from './weights-manifest.js';

/** Options of `saveModel` and of `fileSystemHandler`'s save. */
export interface SaveModelOptions {
  /** Largest weight shard file, in bytes. Default 4 MiB (4194304), as the TF.js converter writes. */
  shardSizeBytes?: number;
}

/**
 * Writes `artifacts` into `dir` as `model.json` plus weight shards (`group1-shard1ofN.bin`, ...),
 * the layout `tf.loadLayersModel('.../model.json')` reads over HTTP. The directory is replaced
 * atomically: a failed save leaves the previous model in `dir` untouched. An existing `dir` must be
 * empty or a previous model directory (one holding `model.json`); anything else is refused.
 */
export async function writeModelArtifacts(
  dir: string,
  artifacts: tf.io.ModelArtifacts,
  options: SaveModelOptions = {},
): Promise<tf.io.SaveResult> {
  try {
    const shards = splitIntoShards(artifacts.weightData, options.shardSizeBytes ?? DEFAULT_SHARD_SIZE_BYTES);
    const shardNames = shards.map((_, index) => shardFileName(index, shards.length));
    const modelJson = toModelJson(artifacts, shardNames);
    const files: DirectoryFile[] = [
      { name: MODEL_JSON_FILE, data: new TextEncoder().encode(JSON.stringify(modelJson)) },
      ...shards.map((shard, index) => ({ name: shardNames[index] as string, data: new Uint8Array(shard) })),
    ];
    await replaceDirectory(dir, files, (entries) => entries.includes(MODEL_JSON_FILE));
  } catch (error) {
    throw new Error(`Cannot save model to ${dir}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * Saves `model` into the directory `dir` in the standard TF.js layers format (`model.json` and
 * weight shards), without tfjs-node. See `writeModelArtifacts` for the atomic replacement rules.
 * Custom layers must be registered (`registerNetblocksClass`) for the model to load again.
 */
export function saveModel(model: tf.LayersModel, dir: string, options: SaveModelOptions = {}): Promise<tf.io.SaveResult> {
  return model.save(tf.io.withSaveHandler((artifacts) => writeModelArtifacts(dir, artifacts, options)));
}
