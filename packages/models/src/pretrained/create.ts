// Build a registered model, fetch a checkpoint for it (through whatever fetcher the platform has:
// the Node cache or the browser's), load it strictly, and attach what the checkpoint says about its
// input and classes. A `numClasses` other than the checkpoint's keeps the backbone and gives a new
// classifier, as timm does; `numClasses: 0`, `includeTop: false` or `features` keep the backbone only.

import type * as tf from '@tensorflow/tfjs';
import { readTensorFile, type TensorFile } from '@netblocks/core';
import type { NetblocksModel } from '../build.js';
import { setModelCard } from '../classify/model-card.js';
import { createModel, getModelInfo } from '../registry.js';
import type { ModelOptions, Preprocessing } from '../types.js';
import { loadTorchWeights, type TorchWeightsReport } from '../weights/index.js';
import { parseHubConfig, type HubModelConfig } from './hub-config.js';
import { IMAGENET_1K_LABELS } from './imagenet-labels.js';
import { getPretrained, listPretrained, splitPretrainedName } from './registry.js';
import type { CheckpointLocation, PretrainedCheckpoint } from './types.js';

/** What a fetcher brings back for a checkpoint. */
export interface CheckpointFiles {
  /** The weights file's bytes (safetensors or torch.save). */
  weights: Uint8Array;
  /** The Hub repository's config.json, decoded, when it has one. */
  config?: unknown;
  /** Where the weights came from (a cache path or a URL), for messages. */
  source: string;
}

/** Fetches the files of a checkpoint (Node: into the Hub / torch.hub caches; browser: fetch and the Cache API). */
export type CheckpointFetcher<O> = (checkpoint: PretrainedCheckpoint, options: O) => Promise<CheckpointFiles>;

/** Options of `createPretrainedModel`: `createModel`'s, and which weights. */
export interface PretrainedModelOptions extends ModelOptions {
  /** The checkpoint's tag (`'a1_in1k'`, `'IMAGENET1K_V2'`); the name may carry it too (`'resnet50.a1_in1k'`). Default the model's default checkpoint. */
  tag?: string;
  /** A checkpoint outside the registry (your own fine-tuned one): a Hub repository or a URL. Its classes are read from its config.json or its classifier. */
  weights?: CheckpointLocation;
}

/** What a pretrained model carries about its weights (timm's `pretrained_cfg`). */
export interface PretrainedConfig {
  /** `model.tag`, or `model` plus the location for `weights` outside the registry. */
  name: string;
  model: string;
  tag?: string;
  /** Where the weights were read from. */
  source: string;
  /** How inputs must be prepared for these weights. */
  preprocessing: Preprocessing;
  /** The checkpoint's classes. */
  numClasses: number;
  /** Class names by index, when the classifier is the checkpoint's and its label set is known. */
  labels?: readonly string[];
  /** The classifier was built anew (another `numClasses`) or left out, and not loaded. */
  newHead: boolean;
  top1?: PretrainedCheckpoint['top1'];
  /** The library whose key names the file used. */
  keys?: PretrainedCheckpoint['keys'];
}

/** A model from `createPretrainedModel`. */
export type PretrainedModel = NetblocksModel & { pretrainedCfg: PretrainedConfig };

function checkLocation(location: CheckpointLocation): void {
  const given = JSON.stringify(location);
  if (typeof location !== 'object' || location === null) throw new Error(`\`weights\` must be { kind: 'hub', repo } or { kind: 'url', url } (got weights=${given})`);
  if (location.kind === 'hub') {
    if (typeof location.repo !== 'string' || location.repo === '') throw new Error(`\`weights.repo\` must be a Hub repository id such as 'timm/resnet50.a1_in1k' (got weights=${given})`);
  } else if (location.kind === 'url') {
    if (typeof location.url !== 'string' || !/^https?:\/\//.test(location.url)) throw new Error(`\`weights.url\` must be an http(s) URL (got weights=${given})`);
  } else {
    throw new Error(`\`weights.kind\` must be 'hub' or 'url' (got weights=${given})`);
  }
}

/** A checkpoint entry for `weights` outside the registry, filled from the model's registry defaults. */
function customCheckpoint(model: string, location: CheckpointLocation): PretrainedCheckpoint {
  checkLocation(location);
  const info = getModelInfo(model);
  const known = listPretrained(model).find((c) => c.isDefault);
  const where = location.kind === 'hub' ? `hub:${location.repo}` : location.url;
  return {
    name: `${model} (${where})`,
    model,
    tag: '',
    isDefault: false,
    location,
    numClasses: -1, // read from the file
    classifier: known?.classifier ?? '',
    preprocessing: info.preprocessing,
    verification: location.kind === 'hub' ? 'sha256 from the Hub' : 'sha256 prefix in the file name',
    origin: where,
  };
}

function checkArchitecture(checkpoint: PretrainedCheckpoint, config: HubModelConfig, source: string): void {
  if (config.architecture === undefined) return;
  const accepted = new Set([checkpoint.model, ...listPretrained(checkpoint.model).map((c) => c.architecture ?? c.model)]);
  if (checkpoint.architecture) accepted.add(checkpoint.architecture);
  if (!accepted.has(config.architecture)) {
    throw new Error(`${source}: config.json is for architecture '${config.architecture}', not ${checkpoint.model} (accepted: ${[...accepted].join(', ')})`);
  }
}

const modelOptionsOf = (options: PretrainedModelOptions): ModelOptions => {
  const { tag: _tag, weights: _weights, ...rest } = options;
  return rest;
};

function describeProblems(report: TorchWeightsReport): string {
  const lines = [
    ...report.missing.slice(0, 5).map((k) => `missing "${k}"`),
    ...report.mismatched.slice(0, 5).map((m) => `"${m.key}" is [${m.gotShape.join(', ')}], the model wants [${m.expectedShape.join(', ')}]`),
    ...report.unexpected.slice(0, 5).map((k) => `unexpected "${k}"`),
  ];
  const count = report.missing.length + report.mismatched.length + report.unexpected.length;
  return `${count} problems: ${lines.join('; ')}${count > lines.length ? '; ...' : ''}`;
}

/**
 * Loads `file` into `model` and checks it as strictly as the head allows: every weight of the model
 * filled (but a new classifier's), and no key left over (but the head's, when the model has none).
 */
function loadChecked(model: tf.LayersModel, file: TensorFile, checkpoint: PretrainedCheckpoint, headless: boolean, newHead: boolean, source: string): TorchWeightsReport {
  const report = loadTorchWeights(model, file, { strict: false, ...(checkpoint.keys ? { from: checkpoint.keys } : {}) });
  const headOnly = newHead && report.head !== undefined;
  const fits = report.missing.length === 0 && (report.mismatched.length === 0 || headOnly) && (report.unexpected.length === 0 || headless);
  if (!fits) throw new Error(`${checkpoint.name}: the weights from ${source} do not fit ${checkpoint.model} (${describeProblems(report)})`);
  return report;
}

/** The classes of a checkpoint outside the registry: its config's, else its classifier's rows, else 1000. */
function classesOf(checkpoint: PretrainedCheckpoint, config: HubModelConfig, file: TensorFile, options: PretrainedModelOptions): number {
  if (config.numClasses !== undefined) return config.numClasses;
  if (checkpoint.numClasses >= 0) return checkpoint.numClasses;
  const classifier = config.classifier ?? checkpoint.classifier;
  const key = file.names().find((n) => n === `${classifier}.weight` || n === `module.${classifier}.weight`);
  if (key) return file.info(key).shape[0] as number;
  // No classifier under the expected name: build the default and read the count off the mismatch.
  const probe = createModel(checkpoint.model, { ...modelOptionsOf(options), numClasses: 1000 });
  try {
    return loadTorchWeights(probe, file, { strict: false }).head?.checkpointClasses ?? 1000;
  } finally {
    probe.dispose();
  }
}

/**
 * Builds `name` (`'resnet50'`, `'resnet50.a1_in1k'`) with `options`, fetches its checkpoint with
 * `fetcher` and loads it; see `createPretrainedModel` in `@netblocks/models/node` and in the browser.
 */
export async function createPretrainedModelWith<O>(fetcher: CheckpointFetcher<O>, name: string, options: PretrainedModelOptions & O): Promise<PretrainedModel> {
  const { model: modelName, tag } = splitPretrainedName(name);
  if (options.weights !== undefined && (tag !== undefined || options.tag !== undefined)) {
    throw new Error(`createPretrainedModel('${name}'): give a tag or \`weights\`, not both`);
  }
  const checkpoint = options.weights ? customCheckpoint(modelName, options.weights) : getPretrained(modelName, options.tag ?? tag);
  const files = await fetcher(checkpoint, options);
  const config = files.config === undefined ? {} : parseHubConfig(files.config, `${files.source} config.json`);
  checkArchitecture(checkpoint, config, files.source);
  let file: TensorFile;
  try {
    file = readTensorFile(files.weights);
  } catch (error) {
    throw new Error(`${checkpoint.name}: cannot read ${files.source}: ${(error as Error).message}`);
  }
  const checkpointClasses = classesOf(checkpoint, config, file, options);
  const numClasses = options.numClasses ?? checkpointClasses;
  const headless = options.includeTop === false || options.features === true || numClasses === 0;
  const newHead = headless || numClasses !== checkpointClasses;
  const model = createModel(modelName, { ...checkpoint.modelOptions, ...modelOptionsOf(options), numClasses }) as PretrainedModel;
  let report: TorchWeightsReport;
  try {
    report = loadChecked(model, file, checkpoint, headless, newHead && !headless, files.source);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const labels = newHead ? undefined : (config.labels ?? (checkpoint.labelSet === 'imagenet-1k' && checkpointClasses === 1000 ? IMAGENET_1K_LABELS : undefined));
  model.pretrainedCfg = {
    name: checkpoint.name,
    model: modelName,
    ...(checkpoint.tag ? { tag: checkpoint.tag } : {}),
    source: files.source,
    preprocessing: config.preprocessing ?? checkpoint.preprocessing,
    numClasses: checkpointClasses,
    ...(labels ? { labels } : {}),
    newHead,
    ...(checkpoint.top1 ? { top1: checkpoint.top1 } : {}),
    ...(report.from ? { keys: report.from } : {}),
  };
  // Saved with the model (model.json's user-defined metadata), so a reloaded model still classifies.
  setModelCard(model, { preprocessing: model.pretrainedCfg.preprocessing, ...(labels ? { labels } : {}) });
  return model;
}
