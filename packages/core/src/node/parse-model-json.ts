import type * as tf from '@tensorflow/tfjs';
import { isKnownWeightDtype } from './weights-manifest.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkWeightSpec(spec: unknown, where: string): tf.io.WeightsManifestEntry {
  if (!isObject(spec) || typeof spec.name !== 'string') throw new Error(`${where} has no \`name\``);
  const shape = spec.shape;
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && (dim as number) >= 0)) {
    throw new Error(`${where} (${spec.name}) has an invalid \`shape\` (got ${JSON.stringify(shape)})`);
  }
  if (!isKnownWeightDtype(spec.dtype)) {
    throw new Error(`${where} (${spec.name}) has an unknown \`dtype\` (got ${JSON.stringify(spec.dtype)})`);
  }
  const quantization = spec.quantization;
  if (quantization !== undefined && (!isObject(quantization) || !isKnownWeightDtype(quantization.dtype))) {
    throw new Error(`${where} (${spec.name}) has an invalid \`quantization\` (got ${JSON.stringify(quantization)})`);
  }
  return spec as unknown as tf.io.WeightsManifestEntry;
}

type WeightsManifestGroup = tf.io.WeightsManifestConfig[number];

function checkManifestGroup(group: unknown, where: string): WeightsManifestGroup {
  if (!isObject(group)) throw new Error(`${where} is not an object`);
  const { paths, weights } = group;
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new Error(`${where}.paths must be a list of file names (got ${JSON.stringify(paths)})`);
  }
  if (!Array.isArray(weights)) throw new Error(`${where}.weights must be a list of weight specs`);
  weights.forEach((spec, index) => checkWeightSpec(spec, `${where}.weights[${index}]`));
  return group as unknown as WeightsManifestGroup;
}

/**
 * Parses the text of a `model.json` and checks that it describes a TF.js layers model whose
 * weights manifest is well formed. Errors name `jsonPath` and what is wrong.
 */
export function parseModelJson(text: string, jsonPath: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${jsonPath} is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(json)) throw new Error(`${jsonPath} does not hold a JSON object`);
  // Files written before TF.js 1.0 carry no `format`; anything else must say it is a layers model.
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new Error(`${jsonPath} is not a layers model (format=${JSON.stringify(json.format)}, expected "layers-model")`);
  }
  if (!isObject(json.modelTopology)) throw new Error(`${jsonPath} has no \`modelTopology\` object`);
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new Error(`${jsonPath}: \`weightsManifest\` must be a list of weight groups`);
  manifest.forEach((group, index) => checkManifestGroup(group, `${jsonPath}: weightsManifest[${index}]`));
  return { ...json, weightsManifest: manifest } as unknown as tf.io.ModelJSON;
}
