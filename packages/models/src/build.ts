import * as tf from '@tensorflow/tfjs';
import { defaultClassifier, globalPool } from './head.js';
import type { FamilyDefinition, FeatureInfo, ModelOptions, ResolvedModelOptions, VariantInfo } from './types.js';

/** A model built by `createModel`. With `features: true`, `featureInfo` describes its outputs;
 * `numFeatures` is the channels of the last feature map, what `numClasses: 0` returns (timm's `num_features`). */
export type NetblocksModel = tf.LayersModel & { featureInfo: FeatureInfo[]; numFeatures: number };

function fail(name: string, message: string): never {
  throw new Error(`createModel('${name}'): ${message}`);
}

/** Fills in the defaults of `ModelOptions` for one variant and checks every value. */
export function resolveModelOptions<C>(
  name: string,
  family: FamilyDefinition<C>,
  variant: VariantInfo<C>,
  options: ModelOptions,
): ResolvedModelOptions {
  const numClasses = options.numClasses ?? 1000;
  if (!Number.isInteger(numClasses) || numClasses < 0) fail(name, `\`numClasses\` must be a non-negative integer (got numClasses=${numClasses})`);
  const includeTop = options.includeTop ?? true;
  const inputShape = options.inputShape ?? [variant.inputSize, variant.inputSize, 3];
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    fail(name, `\`inputShape\` must be [height, width, channels] of positive integers (got inputShape=${JSON.stringify(inputShape)})`);
  }
  const min = family.minInputSize(variant.config);
  if (inputShape[0] < min || inputShape[1] < min) {
    fail(name, `\`inputShape\` must be at least ${min}x${min} for this architecture (got inputShape=${JSON.stringify(inputShape)})`);
  }
  const pooling = options.pooling === undefined ? (includeTop && numClasses === 0 ? 'avg' : null) : options.pooling;
  if (pooling !== null && pooling !== 'avg' && pooling !== 'max') fail(name, `\`pooling\` must be 'avg', 'max' or null (got pooling=${JSON.stringify(pooling)})`);
  const dropRate = options.dropRate ?? variant.dropRate ?? 0;
  if (!(dropRate >= 0 && dropRate < 1)) fail(name, `\`dropRate\` must be in [0, 1) (got dropRate=${dropRate})`);
  const dropPathRate = options.dropPathRate ?? variant.dropPathRate ?? 0;
  if (!(dropPathRate >= 0 && dropPathRate < 1)) fail(name, `\`dropPathRate\` must be in [0, 1) (got dropPathRate=${dropPathRate})`);
  if (dropPathRate > 0 && !family.supportsDropPath) fail(name, `\`dropPathRate\` is not supported by the ${family.family} family (got dropPathRate=${dropPathRate})`);
  const padding = options.padding ?? 'torch';
  if (padding !== 'torch' && padding !== 'same') fail(name, `\`padding\` must be 'torch' or 'same' (got padding=${JSON.stringify(padding)})`);
  if (options.bnEpsilon !== undefined && !(options.bnEpsilon > 0)) fail(name, `\`bnEpsilon\` must be positive (got bnEpsilon=${options.bnEpsilon})`);
  const outputStride = options.outputStride ?? 32;
  if (outputStride !== 8 && outputStride !== 16 && outputStride !== 32) fail(name, `\`outputStride\` must be 8, 16 or 32 (got outputStride=${JSON.stringify(outputStride)})`);
  if (outputStride !== 32 && !family.supportsOutputStride) {
    fail(name, `\`outputStride\` must be 32 for the ${family.family} family: its reference architecture has no dilated output stride (got outputStride=${outputStride})`);
  }
  return {
    numClasses,
    includeTop,
    pooling,
    inputShape,
    dropRate,
    dropPathRate,
    padding,
    bnEpsilon: options.bnEpsilon ?? variant.bnEpsilon ?? family.bnEpsilon,
    features: options.features ?? false,
    outIndices: options.outIndices,
    outputStride,
  };
}

/** The variant's config with the family knobs in `options` applied; a knob the family lacks is an error. */
function applyKnobs<C>(name: string, family: FamilyDefinition<C>, config: C, options: ModelOptions): C {
  let result = config;
  for (const knob of ['widthMultiplier', 'groups'] as const) {
    const value = options[knob];
    if (value === undefined) continue;
    const apply = family.knobs?.[knob];
    if (!apply) fail(name, `\`${knob}\` is not a knob of the ${family.family} family (got ${knob}=${value})`);
    if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) fail(name, `\`${knob}\` must be a positive number (got ${knob}=${value})`);
    result = apply(result, value);
  }
  return result;
}

/** Builds one variant of a family with resolved options. */
export function buildModel<C>(name: string, family: FamilyDefinition<C>, variant: VariantInfo<C>, options: ModelOptions): NetblocksModel {
  const config = applyKnobs(name, family, variant.config, options);
  const resolved = resolveModelOptions(name, family, { ...variant, config }, options);
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  const backbone = family.backbone(input, config, resolved);
  let outputs: tf.SymbolicTensor[];
  let featureInfo: FeatureInfo[] = [];
  if (resolved.features) {
    const indices = resolved.outIndices ?? backbone.taps.map((_, i) => i);
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= backbone.taps.length) {
        fail(name, `\`outIndices\` must be indices in [0, ${backbone.taps.length - 1}] (got outIndices=${JSON.stringify(indices)})`);
      }
    }
    const taps = indices.map((i) => backbone.taps[i] as (typeof backbone.taps)[number]);
    outputs = taps.map((t) => t.tensor);
    featureInfo = taps.map(({ name: n, channels, reduction }) => ({ name: n, channels, reduction }));
  } else if (resolved.includeTop && resolved.numClasses > 0) {
    outputs = [(family.classifier ?? defaultClassifier)(backbone.output, config, resolved)];
  } else {
    outputs = [resolved.pooling ? globalPool(backbone.output, resolved.pooling) : backbone.output];
  }
  const model = tf.model({ inputs: input, outputs, name }) as NetblocksModel;
  model.featureInfo = featureInfo;
  model.numFeatures = backbone.output.shape[backbone.output.shape.length - 1] as number;
  return model;
}
