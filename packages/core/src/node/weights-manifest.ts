import * as tf from '@tensorflow/tfjs';

/** The file name `tf.loadLayersModel(url)` expects the topology and manifest under. */
export const MODEL_JSON_FILE = 'model.json';

/** Shard size the TF.js converter uses by default: 4 MiB. */
export const DEFAULT_SHARD_SIZE_BYTES = 4 * 1024 * 1024;

/** Bytes per element of every dtype a weight (or its quantized form) can be stored in. */
const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  float16: 2,
  uint16: 2,
  uint8: 1,
};

/** The converter's shard naming: `group1-shard2of3.bin` (1-based). */
export function shardFileName(index: number, count: number): string {
  return `group1-shard${index + 1}of${count}.bin`;
}

/** Cuts the concatenated weight bytes into consecutive shards of at most `shardSizeBytes` each. */
export function splitIntoShards(weightData: tf.io.WeightData | undefined, shardSizeBytes: number): ArrayBuffer[] {
  if (!Number.isInteger(shardSizeBytes) || shardSizeBytes <= 0) {
    throw new Error(`\`shardSizeBytes\` must be a positive integer (got shardSizeBytes=${shardSizeBytes})`);
  }
  if (weightData === undefined) return [];
  const all = new tf.io.CompositeArrayBuffer(weightData);
  const shards: ArrayBuffer[] = [];
  for (let start = 0; start < all.byteLength; start += shardSizeBytes) {
    shards.push(all.slice(start, Math.min(start + shardSizeBytes, all.byteLength)));
  }
  return shards;
}

/**
 * The number of bytes `specs` occupy in the weight data, or `undefined` when it cannot be known
 * from the specs alone (string weights are length-prefixed, variable size).
 */
export function weightSpecsByteLength(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const storedDtype = spec.quantization?.dtype ?? spec.dtype;
    const bytes = BYTES_PER_ELEMENT[storedDtype];
    if (bytes === undefined) return undefined;
    total += bytes * spec.shape.reduce((size, dim) => size * dim, 1);
  }
  return total;
}

/** Whether `dtype` is one a weight spec may declare (quantized or not). */
export function isKnownWeightDtype(dtype: unknown): boolean {
  return dtype === 'string' || (typeof dtype === 'string' && dtype in BYTES_PER_ELEMENT);
}

/**
 * The `model.json` content for `artifacts` with its weights stored in `shardPaths`: the same
 * fields, in the same form, as TF.js's own file and HTTP handlers write.
 */
export function toModelJson(artifacts: tf.io.ModelArtifacts, shardPaths: string[]): tf.io.ModelJSON {
  if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error('model artifacts have no JSON `modelTopology`: only layers models can be saved as model.json');
  }
  const modelJson: tf.io.ModelJSON = {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: shardPaths, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature !== undefined) modelJson.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer !== undefined) modelJson.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature !== undefined) modelJson.initializerSignature = artifacts.initializerSignature;
  return modelJson;
}
