// timm's `config.json` on the Hub: `{architecture, num_classes, num_features, [label_names],
// pretrained_cfg: {input_size, crop_pct, crop_mode, interpolation, mean, std, classifier, ...}}`.
// Read strictly: a field of the wrong type is an error naming the field, never silently ignored.

import type { Preprocessing } from '../types.js';
import { IMAGENET, timmPreprocessing } from '../weights/preprocessing.js';

/** What a Hub repository's config.json says about its checkpoint. */
export interface HubModelConfig {
  architecture?: string;
  numClasses?: number;
  labels?: string[];
  preprocessing?: Preprocessing;
  classifier?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function triple(value: unknown, field: string, where: string): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new Error(`${where}: \`${field}\` must be three numbers (got ${JSON.stringify(value)})`);
  }
  return value as [number, number, number];
}

function parsePreprocessing(cfg: Record<string, unknown>, where: string): Preprocessing | undefined {
  if (cfg.input_size === undefined) return undefined;
  const [channels, height, width] = triple(cfg.input_size, 'pretrained_cfg.input_size', where);
  if (channels !== 3 || height !== width || !Number.isInteger(height) || height <= 0) {
    throw new Error(`${where}: \`pretrained_cfg.input_size\` must be [3, size, size] (got ${JSON.stringify(cfg.input_size)})`);
  }
  const cropPct = cfg.crop_pct ?? 0.875;
  if (typeof cropPct !== 'number' || !(cropPct > 0 && cropPct <= 1)) throw new Error(`${where}: \`pretrained_cfg.crop_pct\` must be in (0, 1] (got ${JSON.stringify(cfg.crop_pct)})`);
  const mode = cfg.crop_mode ?? 'center';
  if (mode !== 'center') throw new Error(`${where}: \`pretrained_cfg.crop_mode\` ${JSON.stringify(mode)} is not supported (centre crop only)`);
  const interpolation = cfg.interpolation ?? 'bilinear';
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') {
    throw new Error(`${where}: \`pretrained_cfg.interpolation\` must be 'bilinear' or 'bicubic' (got ${JSON.stringify(interpolation)})`);
  }
  const stats = { mean: triple(cfg.mean ?? IMAGENET.mean, 'pretrained_cfg.mean', where), std: triple(cfg.std ?? IMAGENET.std, 'pretrained_cfg.std', where) };
  return timmPreprocessing(height, cropPct, interpolation, stats, `${where} pretrained_cfg`);
}

/** Parses a timm config.json (already JSON-decoded); `where` names the file in errors. */
export function parseHubConfig(json: unknown, where: string): HubModelConfig {
  if (!isObject(json)) throw new Error(`${where}: must be a JSON object`);
  const result: HubModelConfig = {};
  if (json.architecture !== undefined) {
    if (typeof json.architecture !== 'string') throw new Error(`${where}: \`architecture\` must be a string (got ${JSON.stringify(json.architecture)})`);
    result.architecture = json.architecture;
  }
  const cfg = json.pretrained_cfg ?? {};
  if (!isObject(cfg)) throw new Error(`${where}: \`pretrained_cfg\` must be an object`);
  const numClasses = json.num_classes ?? cfg.num_classes;
  if (numClasses !== undefined) {
    if (!Number.isInteger(numClasses) || (numClasses as number) < 0) throw new Error(`${where}: \`num_classes\` must be a non-negative integer (got ${JSON.stringify(numClasses)})`);
    result.numClasses = numClasses as number;
  }
  if (json.label_names !== undefined) {
    const labels = json.label_names;
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) throw new Error(`${where}: \`label_names\` must be a list of strings`);
    if (result.numClasses !== undefined && labels.length !== result.numClasses) {
      throw new Error(`${where}: \`label_names\` has ${labels.length} names for ${result.numClasses} classes`);
    }
    result.labels = labels as string[];
  }
  const preprocessing = parsePreprocessing(cfg, where);
  if (preprocessing) result.preprocessing = preprocessing;
  if (cfg.classifier !== undefined) {
    if (typeof cfg.classifier !== 'string') throw new Error(`${where}: \`pretrained_cfg.classifier\` must be a string`);
    result.classifier = cfg.classifier;
  }
  return result;
}
