import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseModelJson } from './parse-model-json.js';
import { MODEL_JSON_FILE, weightSpecsByteLength } from './weights-manifest.js';

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** Whether weights missing from the files, or extra ones, are an error. Default `true`. */
  strict?: boolean;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function checkIsDirectory(dir: string): Promise<void> {
  let stats;
  try {
    stats = await fs.stat(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new Error(`model directory ${dir} does not exist`);
    throw error;
  }
  if (!stats.isDirectory()) throw new Error(`${dir} is not a directory`);
}

/** A Node Buffer may view part of a larger pool; TF.js wants ArrayBuffers of exactly the data. */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = bytes;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(bytes).buffer;
}

async function readShard(dir: string, shardPath: string, jsonPath: string): Promise<ArrayBuffer> {
  const file = path.resolve(dir, shardPath);
  const relative = path.relative(dir, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(`${jsonPath} lists weight file ${JSON.stringify(shardPath)}, which lies outside ${dir}`);
  }
  try {
    return toArrayBuffer(await fs.readFile(file));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new Error(`weight shard ${file} (listed in ${jsonPath}) does not exist`);
    throw error;
  }
}

/**
 * Reads the `model.json` and weight shards in `dir` into model artifacts, checking on the way that
 * the directory, the JSON and every shard exist and that the shards hold exactly the bytes the
 * weight specs describe. Errors name the file and what is wrong with it.
 */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const root = path.resolve(dir);
  try {
    await checkIsDirectory(root);
    const jsonPath = path.join(root, MODEL_JSON_FILE);
    let text: string;
    try {
      text = await fs.readFile(jsonPath, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new Error(`${root} has no ${MODEL_JSON_FILE} (expected ${jsonPath})`);
      throw error;
    }
    const modelJson = parseModelJson(text, jsonPath);
    const weightSpecs: tf.io.WeightsManifestEntry[] = [];
    const weightData: ArrayBuffer[] = [];
    for (const [index, group] of modelJson.weightsManifest.entries()) {
      const shards = await Promise.all(group.paths.map((shardPath) => readShard(root, shardPath, jsonPath)));
      const actualBytes = shards.reduce((sum, shard) => sum + shard.byteLength, 0);
      const expectedBytes = weightSpecsByteLength(group.weights);
      if (expectedBytes !== undefined && actualBytes !== expectedBytes) {
        const files = group.paths.map((p) => path.join(root, p)).join(', ');
        throw new Error(
          `weight shards of weightsManifest[${index}] in ${jsonPath} hold ${actualBytes} bytes, but its weight ` +
            `specs need ${expectedBytes} bytes (a truncated or wrong shard?): ${files}`,
        );
      }
      weightSpecs.push(...group.weights);
      weightData.push(...shards);
    }
    const { weightsManifest: _manifest, ...rest } = modelJson;
    return { ...rest, weightSpecs, weightData };
  } catch (error) {
    throw new Error(`Cannot load model from ${dir}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/**
 * Loads a layers model saved by `saveModel` (or by any TF.js tool writing `model.json` and weight
 * shards) from the directory `dir`, without tfjs-node. Custom layer classes must be registered
 * before the call.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: options.strict ?? true });
}
