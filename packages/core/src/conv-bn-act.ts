import * as tf from '@tensorflow/tfjs';
import { activationLayer, checkActivation, type ActivationName } from './activations.js';
import { DilatedConv2D } from './layers/dilated-conv2d-layer.js';
import { torchPadding, type PaddingMode } from './math.js';

/** A function from one symbolic tensor to another: the shape of every block builder. */
export type BlockFn = (x: tf.SymbolicTensor) => tf.SymbolicTensor;

/** BatchNorm settings. PyTorch's defaults are eps 1e-5, momentum 0.1 (TF.js momentum 0.9). */
export interface BatchNormArgs {
  /** Added to the variance. Default 1e-5 (PyTorch); Keras uses 1e-3. */
  epsilon?: number;
  /** TF.js moving-average momentum: `moving = momentum * moving + (1 - momentum) * batch`.
   * PyTorch's `momentum=m` is TF.js `1 - m`. Default 0.9 (PyTorch's 0.1). */
  momentum?: number;
}

export interface ConvBnActArgs extends BatchNormArgs {
  /** Name prefix; the layers are `${name}.0` (conv), `${name}.1` (BN), `${name}.2` (activation),
   * and `${name}.pad` when explicit padding is needed. */
  name: string;
  /** Output channels. Ignored for depthwise convs (output = input channels * depthMultiplier). */
  filters?: number;
  /** Square kernel size. Default 3. */
  kernelSize?: number;
  /** Stride. Default 1. */
  strides?: number;
  /** Dilation rate. Default 1. */
  dilation?: number;
  /** Padding mode. Default `'torch'`: symmetric, as PyTorch pads (so PyTorch weights load). */
  padding?: PaddingMode;
  /** Depthwise conv instead of a dense one. Default false. */
  depthwise?: boolean;
  /** Channel multiplier of a depthwise conv. Default 1. */
  depthMultiplier?: number;
  /** Bias on the conv. Default false (the BN's beta does its work). */
  useBias?: boolean;
  /** Activation after the BN, or null for none. Default `'relu'`. */
  activation?: ActivationName | null;
  /** Omit the BatchNorm (a plain conv + activation). Default false. */
  noBatchNorm?: boolean;
}

/** The config with every default filled in. */
export type ResolvedConvBnActArgs = Required<Omit<ConvBnActArgs, 'filters'>> & { filters: number | null };

function positiveInt(fn: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: \`${name}\` must be a positive integer (got ${name}=${value})`);
  return value;
}

/** Fills in the defaults of `ConvBnActArgs` and checks every field. */
export function resolveConvBnActArgs(args: ConvBnActArgs): ResolvedConvBnActArgs {
  const fn = 'convBnAct';
  if (typeof args.name !== 'string' || args.name.length === 0) {
    throw new Error(`${fn}: \`name\` must be a non-empty string (got name=${JSON.stringify(args.name)})`);
  }
  const depthwise = args.depthwise ?? false;
  if (!depthwise) {
    if (args.filters === undefined) throw new Error(`${fn}: \`filters\` is required for a dense conv (layer ${args.name})`);
    positiveInt(fn, 'filters', args.filters);
  }
  const padding = args.padding ?? 'torch';
  if (!['torch', 'same', 'valid'].includes(padding)) {
    throw new Error(`${fn}: \`padding\` must be 'torch', 'same' or 'valid' (got padding=${JSON.stringify(padding)})`);
  }
  const activation = args.activation === undefined ? 'relu' : args.activation;
  if (activation !== null) checkActivation(activation);
  const epsilon = args.epsilon ?? 1e-5;
  if (!(epsilon > 0)) throw new Error(`${fn}: \`epsilon\` must be positive (got epsilon=${epsilon})`);
  const momentum = args.momentum ?? 0.9;
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`${fn}: \`momentum\` must be in [0, 1] (got momentum=${momentum})`);
  return {
    name: args.name,
    filters: depthwise ? null : (args.filters as number),
    kernelSize: positiveInt(fn, 'kernelSize', args.kernelSize ?? 3),
    strides: positiveInt(fn, 'strides', args.strides ?? 1),
    dilation: positiveInt(fn, 'dilation', args.dilation ?? 1),
    padding,
    depthwise,
    depthMultiplier: positiveInt(fn, 'depthMultiplier', args.depthMultiplier ?? 1),
    useBias: args.useBias ?? false,
    activation,
    noBatchNorm: args.noBatchNorm ?? false,
    epsilon,
    momentum,
  };
}

/** A `ZeroPadding2D` named `name` when `padding` is `'torch'` and the kernel needs it, else identity. */
export function torchPad(name: string, kernelSize: number, dilation = 1): BlockFn {
  const [before, after] = torchPadding(kernelSize, dilation);
  if (before === 0 && after === 0) return (x) => x;
  const layer = tf.layers.zeroPadding2d({ padding: [[before, after], [before, after]], name });
  return (x) => layer.apply(x) as tf.SymbolicTensor;
}

/** A BatchNormalization layer with PyTorch-compatible defaults. */
export function batchNorm(name: string, args: BatchNormArgs = {}): tf.layers.Layer {
  return tf.layers.batchNormalization({ name, axis: -1, epsilon: args.epsilon ?? 1e-5, momentum: args.momentum ?? 0.9 });
}

/**
 * conv -> BatchNorm -> activation, Keras functional style, with deterministic layer names.
 * With `padding: 'torch'` the input is zero-padded symmetrically first and the conv is `'valid'`.
 * The conv is tf.layers.conv2d / depthwiseConv2d; when `dilation > 1` it is core's `DilatedConv2D`
 * (same weight names and config keys), since the Keras Conv2D cannot train dilated and the Keras
 * DepthwiseConv2D ignores the dilation.
 */
export function convBnAct(args: ConvBnActArgs): BlockFn {
  const a = resolveConvBnActArgs(args);
  const pad = a.padding === 'torch' ? torchPad(`${a.name}.pad`, a.kernelSize, a.dilation) : (x: tf.SymbolicTensor) => x;
  const convPadding = a.padding === 'same' ? 'same' : 'valid';
  const common = {
    kernelSize: a.kernelSize,
    strides: a.strides,
    dilationRate: a.dilation,
    padding: convPadding as 'same' | 'valid',
    useBias: a.useBias,
    name: `${a.name}.0`,
  };
  const conv: tf.layers.Layer =
    a.dilation > 1
      ? new DilatedConv2D({ ...common, filters: a.filters ?? undefined, depthwise: a.depthwise, depthMultiplier: a.depthMultiplier })
      : a.depthwise
        ? tf.layers.depthwiseConv2d({ ...common, depthMultiplier: a.depthMultiplier })
        : tf.layers.conv2d({ ...common, filters: a.filters as number });
  const bn = a.noBatchNorm ? null : batchNorm(`${a.name}.1`, a);
  const act = a.activation === null || a.activation === 'linear' ? null : activationLayer(a.activation, `${a.name}.2`);
  return (x) => {
    let y = conv.apply(pad(x)) as tf.SymbolicTensor;
    if (bn) y = bn.apply(y) as tf.SymbolicTensor;
    if (act) y = act.apply(y) as tf.SymbolicTensor;
    return y;
  };
}
