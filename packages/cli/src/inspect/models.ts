import type * as tf from '@tensorflow/tfjs';
import { closestModelNames, createModel, getModelInfo, listModels, type ModelOptions } from '@netblocks/models';
import { oneLine, UsageError } from '../errors.js';
import { checkModelName } from '../train/run.js';

/**
 * The registered names matching `pattern`: with `*` wildcards the whole name must match
 * (`'resnext*'`, as `listModels` reads it); without, the names containing it (`'shufflenet_v2'`).
 * No pattern: every name. No match is a usage error that suggests the closest names.
 */
export function matchModels(pattern?: string): string[] {
  if (pattern === undefined) return listModels();
  const names = pattern.includes('*') ? listModels(pattern) : listModels().filter((n) => n.includes(pattern));
  if (names.length === 0) throw new UsageError(`no model matches ${JSON.stringify(pattern)}; did you mean ${closestModelNames(pattern.replace(/\*/g, '')).join(', ')}?`);
  return names;
}

/** One row of `netblocks list`: the reference figures of the registry, no model is built. */
export interface ModelListing {
  name: string;
  family: string;
  /** Default (reference) input height and width. */
  inputSize: number;
  minInputSize: number;
  /** `countParams()` of the reference model (BatchNorm statistics included). */
  params: number;
  trainableParams: number;
  /** Multiply-adds per image at `inputSize`; null where no reference figure is published. */
  macs: number | null;
}

/** The registry's figures for the models matching `pattern` (see `matchModels`). */
export function listModelFigures(pattern?: string): ModelListing[] {
  return matchModels(pattern).map((name) => {
    const info = getModelInfo(name);
    return {
      name,
      family: info.family,
      inputSize: info.inputSize,
      minInputSize: info.minInputSize,
      params: info.reference.totalParams,
      trainableParams: info.reference.trainableParams,
      macs: info.reference.macs ?? null,
    };
  });
}

/** How a command builds a registered model: the `createModel` options the CLI exposes. */
export interface BuildOptions {
  /** Input height and width. Default the model's resolution (VGG: its one classifier size). */
  imageSize?: number;
  /** Input channels. Default 3. */
  channels?: number;
  /** Classifier outputs. Default 1000. */
  numClasses?: number;
  widthMultiplier?: number;
  groups?: number;
}

/** The input size a command uses for `name` when none is given: the classifier's one size (VGG) or the reference resolution. */
export function defaultInputSize(name: string): number {
  const info = getModelInfo(name);
  return info.topInputSize ?? info.inputSize;
}

/** `createModel(name, ...)` for a command: an unknown name or a bad option is a usage error (one line). */
export function buildNamedModel(name: string, options: BuildOptions = {}): tf.LayersModel {
  checkModelName(name);
  const info = getModelInfo(name);
  const size = options.imageSize ?? defaultInputSize(name);
  if (info.topInputSize !== undefined && size !== info.topInputSize) {
    throw new UsageError(`--image-size must be ${info.topInputSize} for ${name}: its classifier takes only that size (got --image-size=${size})`);
  }
  if (size < info.minInputSize) throw new UsageError(`--image-size must be at least ${info.minInputSize} for ${name} (got --image-size=${size})`);
  const modelOptions: ModelOptions = {
    inputShape: [size, size, options.channels ?? 3],
    ...(options.numClasses === undefined ? {} : { numClasses: options.numClasses }),
    ...(options.widthMultiplier === undefined ? {} : { widthMultiplier: options.widthMultiplier }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
  };
  try {
    return createModel(name, modelOptions);
  } catch (error) {
    throw new UsageError(oneLine(error));
  }
}

/** Layers of `model`, those of nested models counted one by one (the input layers left out). */
export function countLayers(model: tf.LayersModel): number {
  let count = 0;
  for (const layer of model.layers) {
    if ('layers' in layer && Array.isArray((layer as tf.LayersModel).layers)) count += countLayers(layer as tf.LayersModel);
    else if (layer.getClassName() !== 'InputLayer') count += 1;
  }
  return count;
}
