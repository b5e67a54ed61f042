import type * as tf from '@tensorflow/tfjs';
import { checkActivation, checkInitializer, positivePair, type ActivationName, type InitializerName, type SizePair } from '@netblocks/core';
import { checkPadding, outputLength, type ConvPadding } from './geometry.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** The depthwise part of `NetblocksDepthwiseConv2D` and `NetblocksSeparableConv2D`. */
export interface DepthwiseArgs extends LayerArgs {
  /** Kernel size, one number or `[height, width]`. Default 3. */
  kernelSize?: SizePair;
  /** Kernels per input channel (`m`): the depthwise conv outputs `Cin * m` channels. Default 1. */
  depthMultiplier?: number;
  /** Stride of the depthwise conv, one number or `[height, width]`. Default 1. */
  strides?: SizePair;
  /** `'torch'` (symmetric, as PyTorch), `'same'` (TF's rule), `'valid'`, or explicit zeros
   * `[[top, bottom], [left, right]]`. Default `'torch'`, so PyTorch weights give PyTorch's numbers. */
  padding?: ConvPadding;
  /** Dilation of the depthwise kernel, one number or `[height, width]`. Default 1. */
  dilationRate?: SizePair;
  /** Add a bias to every output channel. Default false (a BatchNorm usually follows). */
  useBias?: boolean;
  /** Activation applied last, fused into the kernel where TF.js can. Default `'linear'`. */
  activation?: ActivationName | null;
  /** Initializer of `depthwise_kernel`. Default `'glorotUniform'` (Keras' default). */
  depthwiseInitializer?: InitializerName;
  /** Initializer of `bias`. Default `'zeros'`. */
  biasInitializer?: InitializerName;
}

/** `DepthwiseArgs` with every default filled in (pairs as `[height, width]`). */
export interface ResolvedDepthwiseArgs {
  kernelSize: [number, number];
  depthMultiplier: number;
  strides: [number, number];
  padding: ConvPadding;
  dilationRate: [number, number];
  useBias: boolean;
  activation: ActivationName;
  depthwiseInitializer: InitializerName;
  biasInitializer: InitializerName;
}

/** `checkActivation` with the layer class named in the error. */
function ownedActivation(owner: string, value: string): ActivationName {
  try {
    return checkActivation(value);
  } catch (error) {
    throw new Error(`${owner}: ${(error as Error).message}`);
  }
}

/** Fills in the defaults of `DepthwiseArgs` and checks every value; `owner` names the layer class in errors. */
export function resolveDepthwiseArgs(owner: string, args: DepthwiseArgs): ResolvedDepthwiseArgs {
  const kernelSize = positivePair(owner, 'kernelSize', args.kernelSize ?? 3);
  const depthMultiplier = args.depthMultiplier ?? 1;
  if (!Number.isInteger(depthMultiplier) || depthMultiplier < 1) {
    throw new Error(`${owner}: \`depthMultiplier\` must be a positive integer (got depthMultiplier=${depthMultiplier})`);
  }
  const strides = positivePair(owner, 'strides', args.strides ?? 1);
  const dilationRate = positivePair(owner, 'dilationRate', args.dilationRate ?? 1);
  const useBias = args.useBias ?? false;
  if (typeof useBias !== 'boolean') throw new Error(`${owner}: \`useBias\` must be a boolean (got useBias=${JSON.stringify(useBias)})`);
  return {
    kernelSize,
    depthMultiplier,
    strides,
    padding: checkPadding(owner, args.padding ?? 'torch', kernelSize, dilationRate),
    dilationRate,
    useBias,
    activation: ownedActivation(owner, args.activation ?? 'linear'),
    depthwiseInitializer: checkInitializer(owner, 'depthwiseInitializer', args.depthwiseInitializer ?? 'glorotUniform'),
    biasInitializer: checkInitializer(owner, 'biasInitializer', args.biasInitializer ?? 'zeros'),
  };
}

/** The one shape of a single-input layer; `owner` names the layer in the error. */
export function singleShape(owner: string, inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  const first = inputShape[0];
  if (Array.isArray(first)) {
    if (inputShape.length !== 1) throw new Error(`${owner}: expects exactly one input (got ${inputShape.length} inputs)`);
    return first;
  }
  return inputShape as tf.Shape;
}

/** `[batch, height, width, channels]` of a rank-4 NHWC shape, checked. */
export function nhwc(owner: string, shape: tf.Shape): [number | null, number | null, number | null, number | null] {
  if (shape.length !== 4) throw new Error(`${owner}: expects NHWC input of rank 4 (got inputShape=${JSON.stringify(shape)})`);
  return shape as [number | null, number | null, number | null, number | null];
}

/** Output height and width of the depthwise conv for an input of `height` x `width`. */
export function depthwiseOutputSize(
  owner: string,
  resolved: ResolvedDepthwiseArgs,
  height: number | null,
  width: number | null,
): [number | null, number | null] {
  const { padding, kernelSize, strides, dilationRate } = resolved;
  return [
    outputLength(owner, 0, height, padding, kernelSize, strides, dilationRate),
    outputLength(owner, 1, width, padding, kernelSize, strides, dilationRate),
  ];
}

/** Spatial dims and channels for MACs; throws naming the layer when a dim is unknown. */
export function knownSizes(owner: string, layerName: string, inputShape: tf.Shape, outputShape: tf.Shape): {
  outHeight: number;
  outWidth: number;
  inChannels: number;
} {
  const [, , , inChannels] = nhwc(owner, inputShape);
  const [, outHeight, outWidth] = nhwc(owner, outputShape);
  if (inChannels === null || outHeight === null || outWidth === null) {
    throw new Error(
      `${owner} "${layerName}": cannot count MACs with unknown dims (got inputShape=${JSON.stringify(inputShape)}, ` +
        `outputShape=${JSON.stringify(outputShape)}); build the model with a fixed input size`,
    );
  }
  return { outHeight, outWidth, inChannels };
}
