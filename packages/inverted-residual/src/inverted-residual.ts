import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, checkActivation, torchPad, type ActivationName, type BatchNormArgs, type BlockFn } from '@netblocks/core';
import { NetblocksDepthwiseConv2D } from '@netblocks/depthwise-sep';
import { seReducedChannels, type SeOptions } from '@netblocks/se-block';
import { blockSe, chain, checkInputChannels, expandedWidth, positiveInteger, seWidthOf } from './block-parts.js';
import { INVERTED_RESIDUAL_NAMING, type InvertedResidualLayerNames, type InvertedResidualNamingName } from './naming.js';
import { checkDropRate } from './op.js';
import { StochasticDepth } from './stochastic-depth-layer.js';

export interface InvertedResidualArgs extends BatchNormArgs {
  /** Name prefix, e.g. `features.3` or `blocks.1.0`; the layers under it follow `names`. */
  name: string;
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Expansion factor t: the hidden width is `inChannels * t`; at 1 there is no expansion conv. */
  expandRatio: number;
  /** Depthwise kernel size (odd). Default 3. */
  kernelSize?: number;
  /** Stride of the depthwise conv. Default 1. */
  strides?: number;
  /** Dilation of the depthwise conv (timm's `dilation`, which its builders use for output strides
   * below 32); torch padding grows to `dilation * (k - 1) / 2`. Default 1. */
  dilation?: number;
  /** Activation after the expansion and the depthwise conv (never after the projection). Default `'relu6'`. */
  activation?: ActivationName;
  /**
   * Squeeze-and-excitation on the expanded tensor, after the depthwise conv; null for none.
   * Defaults inside: width `{ ratio: 0.25, of: 'input' }` (EfficientNet: a quarter of the block's
   * input channels; `of: 'input'` takes `inChannels` as its base), activation = the block's,
   * gate sigmoid, FC names from `names`. Default null.
   */
  se?: SeOptions | null;
  /** Drop-path probability on the residual branch at training (the caller scales it by block
   * index). Ignored without a residual. Default 0 (no drop-path layer). */
  dropPathRate?: number;
  /** Seed of the drop-path masks. Default null (random). */
  dropPathSeed?: number | null;
  /** `'torch'` (symmetric, PyTorch) or `'same'` (TF, for TF-trained weights). Default `'torch'`. */
  padding?: 'torch' | 'same';
  /** Which reference's layer names to use. Default `'torchvision-mobilenetv2'`. */
  names?: InvertedResidualNamingName;
  /** Hidden width rounding: none gives `round(inChannels * t)` (torchvision MobileNetV2, Python's
   * round half to even); 8 gives `makeDivisible(inChannels * t, 8)` (torchvision EfficientNet,
   * timm). Equal whenever `inChannels` is a multiple of 8 and t an integer. Default none. */
  expandDivisor?: number | null;
}

/** What `invertedResidual` builds, derived from its args. */
export interface InvertedResidualPlan {
  /** Hidden (expanded) width. */
  expandedChannels: number;
  /** Whether there is a 1x1 expansion conv (t != 1). */
  hasExpansion: boolean;
  /** Whether the block adds its input back (stride 1 and inChannels == outChannels). */
  hasResidual: boolean;
  /** Reduced width of the SE, or null without SE. */
  seReducedChannels: number | null;
  /** Whether a drop-path layer sits on the residual branch. */
  hasDropPath: boolean;
  /** Full names of the layers, `${name}.${relative}`. */
  layerNames: InvertedResidualLayerNames & { dropPath: string; add: string };
}

const FN = 'invertedResidual';

/** Resolves `args` into what the block will hold; throws on any invalid value, naming it. */
export function planInvertedResidual(args: InvertedResidualArgs): InvertedResidualPlan {
  const { name } = args;
  if (typeof name !== 'string' || name.length === 0) {
    throw new Error(`invertedResidual: \`name\` must be a non-empty string (got name=${JSON.stringify(name)})`);
  }
  const inChannels = positiveInteger(FN, 'inChannels', args.inChannels);
  const outChannels = positiveInteger(FN, 'outChannels', args.outChannels);
  const strides = positiveInteger(FN, 'strides', args.strides ?? 1);
  const expandedChannels = expandedWidth(FN, inChannels, args.expandRatio, args.expandDivisor ?? null);
  const namesKey = args.names ?? 'torchvision-mobilenetv2';
  const naming = INVERTED_RESIDUAL_NAMING[namesKey];
  if (naming === undefined) {
    throw new Error(
      `invertedResidual: \`names\` must be one of ${Object.keys(INVERTED_RESIDUAL_NAMING).join(', ')} (got names=${JSON.stringify(namesKey)})`,
    );
  }
  const hasExpansion = args.expandRatio !== 1;
  const se = args.se ?? null;
  const shape = `${hasExpansion ? 'expand' : 'dw'}${se ? '+se' : ''}` as const;
  const relative: InvertedResidualLayerNames | undefined = (naming.layers as Partial<Record<typeof shape, InvertedResidualLayerNames>>)[shape];
  if (relative === undefined) {
    throw new Error(`invertedResidual ${name}: names '${namesKey}' has no block of shape '${shape}' (got se=${JSON.stringify(se)}); use 'timm' or 'torchvision-efficientnet'`);
  }
  const hasResidual = strides === 1 && inChannels === outChannels;
  const dropPathRate = checkDropRate(args.dropPathRate ?? 0, 'dropPathRate');
  const full = Object.fromEntries(Object.entries(relative).map(([slot, n]) => [slot, `${name}.${n}`])) as unknown as InvertedResidualLayerNames;
  return {
    expandedChannels,
    hasExpansion,
    hasResidual,
    seReducedChannels: se ? seReducedChannels(seWidthOf(se, inChannels), expandedChannels) : null,
    hasDropPath: hasResidual && dropPathRate > 0,
    layerNames: { ...full, dropPath: `${name}.${naming.dropPath}`, add: `${name}.${naming.add}` },
  };
}

/**
 * The inverted residual with linear bottleneck (Sandler et al. 2018, MobileNetV2) and its
 * EfficientNet form, MBConv (Tan & Le 2019): 1x1 expansion -> BN -> act (absent at t = 1) ->
 * kxk depthwise, stride s (dilation d) -> BN -> act -> optional squeeze-and-excitation -> 1x1
 * projection -> BN, with no activation (the "linear bottleneck"). The input is added back only at
 * stride 1 with `inChannels == outChannels` (REFERENCE.md trap 9), after an optional drop path on
 * the branch. Convs have no bias; padding is PyTorch's unless `padding: 'same'`.
 */
export function invertedResidual(args: InvertedResidualArgs): BlockFn {
  const plan = planInvertedResidual(args);
  const names = plan.layerNames;
  const activation = checkActivation(args.activation ?? 'relu6');
  const kernelSize = positiveInteger(FN, 'kernelSize', args.kernelSize ?? 3);
  const strides = args.strides ?? 1;
  const dilation = positiveInteger(FN, 'dilation', args.dilation ?? 1);
  const padding = args.padding ?? 'torch';
  if (padding !== 'torch' && padding !== 'same') {
    throw new Error(`invertedResidual: \`padding\` must be 'torch' or 'same' (got padding=${JSON.stringify(padding)})`);
  }
  const act = (n: string | undefined) => (activation === 'linear' || n === undefined ? null : activationLayer(activation, n));
  const conv1x1 = (n: string, filters: number) => tf.layers.conv2d({ name: n, filters, kernelSize: 1, useBias: false });
  const expand = plan.hasExpansion
    ? [conv1x1(names.expandConv as string, plan.expandedChannels), batchNorm(names.expandBn as string, args), act(names.expandAct)]
    : [];
  // TF.js's Keras DepthwiseConv2D ignores `dilationRate` (its call passes no dilations), so a
  // dilated depthwise conv is depthwise-sep's layer, which pads inside; undilated blocks keep the
  // stock layer and its `.pad` layer, as saved models and weight maps know them.
  const pad = padding === 'torch' && dilation === 1 ? torchPad(`${names.dwConv}.pad`, kernelSize) : (x: tf.SymbolicTensor) => x;
  const dwConv =
    dilation === 1
      ? tf.layers.depthwiseConv2d({ name: names.dwConv, kernelSize, strides, padding: padding === 'same' ? 'same' : 'valid', useBias: false })
      : new NetblocksDepthwiseConv2D({ name: names.dwConv, kernelSize, strides, dilationRate: dilation, padding, useBias: false });
  const depthwise = [dwConv, batchNorm(names.dwBn, args), act(names.dwAct)];
  const naming = INVERTED_RESIDUAL_NAMING[args.names ?? 'torchvision-mobilenetv2'];
  const se =
    args.se && names.se !== undefined
      ? blockSe(args.se, {
          fn: FN,
          blockName: args.name,
          layerName: names.se,
          inChannels: args.inChannels,
          channels: plan.expandedChannels,
          blockActivation: activation,
          reduceName: naming.seReduce,
          expandName: naming.seExpand,
        })
      : null;
  const project = [conv1x1(names.projectConv, args.outChannels), batchNorm(names.projectBn, args)];
  const drop = plan.hasDropPath ? new StochasticDepth({ name: names.dropPath, rate: args.dropPathRate ?? 0, seed: args.dropPathSeed ?? null }) : null;
  const add = plan.hasResidual ? tf.layers.add({ name: names.add }) : null;
  return (x) => {
    checkInputChannels(FN, args.name, x, args.inChannels);
    let y = chain(expand, x);
    y = chain(depthwise, pad(y));
    if (se) y = se(y);
    y = chain([...project, drop], y);
    return add ? (add.apply([y, x]) as tf.SymbolicTensor) : y;
  };
}
