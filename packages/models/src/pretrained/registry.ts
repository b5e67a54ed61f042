// Which published checkpoints each registered model takes: torchvision's (download.pytorch.org,
// checked by the sha256 prefix in the file name) and timm's (the Hugging Face Hub, checked by the
// sha256 the Hub sends), as data, with their preprocessing, classes and published top-1.

import { getModelInfo, listModels, wildcardPattern } from '../registry.js';
import { timmPreprocessing, torchvisionPreprocessing } from '../weights/preprocessing.js';
import { TIMM_WEIGHTS } from './timm-weights.js';
import { TORCHVISION_WEIGHTS } from './torchvision-weights.js';
import type { PretrainedCheckpoint, TimmWeightsRow, TorchvisionWeightsRow } from './types.js';

/** Models with no public checkpoint, and why. */
const NO_CHECKPOINT: readonly [RegExp, string][] = [
  [/^shufflenet_v1_/, "megvii's ShuffleNet-Series publishes its ShuffleNet V1 weights behind OneDrive and Baidu links only, with no stable download URL; neither timm nor torchvision has ShuffleNet V1"],
  [/^mobilenetv1_(075|050|025)$/, 'timm (whose names MobileNetV1 follows) has weights for mobilenetv1_100 only; torchvision has no MobileNetV1'],
  [/^mobilenetv2_(035|075)$/, 'timm registers mobilenetv2_035 and mobilenetv2_075 untrained only; torchvision has width 1.0 only'],
  [/^repvgg_b1g2$/, 'timm has no repvgg_b1g2, and the official RepVGG release is on Google Drive, with no stable download URL'],
  [/^mixer_(s32|s16|b32|l32)_224$/, "timm registers the S/32, S/16, B/32 and L/32 Mixers untrained only (Google's release has B/16 and L/16)"],
];

/** torchvision's classifier per family of ours, in its names (what a new `numClasses` replaces). */
const TORCHVISION_CLASSIFIER: Readonly<Record<string, string>> = {
  resnet: 'fc',
  shufflenet_v2: 'fc',
  mobilenetv2: 'classifier.1',
  efficientnet: 'classifier.1',
  squeezenet: 'classifier.1',
  vgg: 'classifier.6',
};

function fromTorchvision(row: TorchvisionWeightsRow): PretrainedCheckpoint {
  const family = getModelInfo(row.model).family;
  const classifier = TORCHVISION_CLASSIFIER[family];
  if (classifier === undefined) throw new Error(`torchvision table: no classifier name for the ${family} family (${row.model})`);
  return {
    name: `${row.model}.${row.tag}`,
    model: row.model,
    tag: row.tag,
    isDefault: false,
    location: { kind: 'url', url: row.url },
    keys: 'torchvision',
    numClasses: 1000,
    labelSet: 'imagenet-1k',
    classifier,
    preprocessing: torchvisionPreprocessing(row.resize, row.crop, row.interpolation, `torchvision ${row.builder} ${row.tag} transforms`),
    top1: { accuracy: row.top1, imageSize: row.crop, source: 'torchvision weights metadata (acc@1)' },
    verification: 'sha256 prefix in the file name',
    origin: `torchvision ${row.builder} weights ${row.tag}${row.recipe ? ` (${row.recipe})` : ''}`,
    license: 'bsd-3-clause',
  };
}

function fromTimm(row: TimmWeightsRow): PretrainedCheckpoint {
  const arch = row.arch ?? row.model;
  const tf = arch.startsWith('tf_');
  const tag = tf ? `tf_${row.tag}` : row.tag;
  const numClasses = row.numClasses ?? 1000;
  return {
    name: `${row.model}.${tag}`,
    model: row.model,
    tag,
    architecture: arch,
    isDefault: false,
    location: row.url ? { kind: 'url', url: row.url } : { kind: 'hub', repo: `timm/${arch}.${row.tag}` },
    keys: 'timm',
    numClasses,
    ...(numClasses === 1000 ? { labelSet: 'imagenet-1k' as const } : {}),
    classifier: row.classifier,
    preprocessing: timmPreprocessing(row.size, row.cropPct, row.interpolation, { mean: row.mean, std: row.std }, `timm ${arch}.${row.tag} pretrained cfg`),
    ...(row.top1 === undefined ? {} : { top1: { accuracy: row.top1, imageSize: row.top1Size ?? row.size, source: 'timm results-imagenet.csv' } }),
    ...(tf ? { modelOptions: { padding: 'same' as const, bnEpsilon: 1e-3 } } : {}),
    // timm loads its non-Hub release files without a hash check, and so does this entry.
    verification: row.url ? 'none: timm loads this release file unchecked' : 'sha256 from the Hub',
    origin: `timm ${arch}.${row.tag}${row.url ? ' (GitHub release)' : ' (Hugging Face Hub)'}`,
    ...(row.license ? { license: row.license } : {}),
  };
}

/** The default checkpoint: torchvision's DEFAULT for families named after torchvision, else timm's default tag. */
function markDefault(model: string, checkpoints: PretrainedCheckpoint[], timmDefaults: ReadonlySet<string>, torchvisionDefaults: ReadonlySet<string>): void {
  const follows = getModelInfo(model).weights;
  const chosen =
    (follows === 'torchvision' ? checkpoints.find((c) => torchvisionDefaults.has(c.name)) : undefined) ??
    checkpoints.find((c) => timmDefaults.has(c.name) && !c.tag.startsWith('tf_')) ??
    checkpoints.find((c) => torchvisionDefaults.has(c.name)) ??
    checkpoints[0];
  if (chosen) chosen.isDefault = true;
}

function buildRegistry(): ReadonlyMap<string, readonly PretrainedCheckpoint[]> {
  const byModel = new Map<string, PretrainedCheckpoint[]>(listModels().map((m) => [m, []]));
  const timmDefaults = new Set<string>();
  const torchvisionDefaults = new Set<string>();
  const add = (checkpoint: PretrainedCheckpoint) => {
    const list = byModel.get(checkpoint.model);
    if (!list) throw new Error(`pretrained table names "${checkpoint.model}", which is not a registered model`);
    list.push(checkpoint);
  };
  for (const row of TORCHVISION_WEIGHTS) {
    const checkpoint = fromTorchvision(row);
    if (row.isDefault) torchvisionDefaults.add(checkpoint.name);
    add(checkpoint);
  }
  for (const row of TIMM_WEIGHTS) {
    const checkpoint = fromTimm(row);
    if (row.isDefault) timmDefaults.add(checkpoint.name);
    add(checkpoint);
  }
  for (const [model, checkpoints] of byModel) {
    markDefault(model, checkpoints, timmDefaults, torchvisionDefaults);
    // The default first, then as the tables list them.
    checkpoints.sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
  }
  return byModel;
}

let registry: ReadonlyMap<string, readonly PretrainedCheckpoint[]> | undefined;
const checkpointsByModel = () => (registry ??= buildRegistry());

/** Why `model` has no published checkpoint, or undefined when it has one. */
export function noCheckpointReason(model: string): string | undefined {
  if ((checkpointsByModel().get(model)?.length ?? 0) > 0) return undefined;
  return NO_CHECKPOINT.find(([pattern]) => pattern.test(model))?.[1] ?? 'no public checkpoint is known for this model';
}

/**
 * Published checkpoints, as `model.tag` entries, each model's default first. `pattern` filters with `*`
 * wildcards: on the model name when it has no dot (`'resnet*'`), on the whole `model.tag` when it has
 * one (`'*.tf_*'`).
 */
export function listPretrained(pattern?: string): PretrainedCheckpoint[] {
  const all = [...checkpointsByModel().entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([, list]) => list);
  if (pattern === undefined) return all;
  const re = wildcardPattern(pattern);
  return all.filter((c) => re.test(pattern.includes('.') ? c.name : c.model));
}

/** Splits `model.tag` (timm's spelling) into the model and the tag. */
export function splitPretrainedName(name: string): { model: string; tag: string | undefined } {
  const dot = name.indexOf('.');
  return dot < 0 ? { model: name, tag: undefined } : { model: name.slice(0, dot), tag: name.slice(dot + 1) };
}

/**
 * The checkpoint `name` (`'resnet50'` for its default, `'resnet50.a1_in1k'`, or `name` plus `tag`).
 * Throws, naming the model's tags, for an unknown tag; and with the reason for a model that has no
 * published checkpoint.
 */
export function getPretrained(name: string, tag?: string): PretrainedCheckpoint {
  const split = splitPretrainedName(name);
  const wanted = tag ?? split.tag;
  if (tag !== undefined && split.tag !== undefined && tag !== split.tag) {
    throw new Error(`getPretrained: the name "${name}" has tag "${split.tag}" but \`tag\` is "${tag}"`);
  }
  getModelInfo(split.model); // an unknown model: the registry's error, with the closest names
  const checkpoints = checkpointsByModel().get(split.model) ?? [];
  if (checkpoints.length === 0) throw new Error(`${split.model} has no pretrained weights: ${noCheckpointReason(split.model)}`);
  if (wanted === undefined) return checkpoints.find((c) => c.isDefault) as PretrainedCheckpoint;
  const found = checkpoints.find((c) => c.tag === wanted) ?? checkpoints.find((c) => c.tag.toLowerCase() === wanted.toLowerCase());
  if (!found) throw new Error(`${split.model} has no checkpoint tagged "${wanted}" (its tags: ${checkpoints.map((c) => c.tag).join(', ')})`);
  return found;
}
