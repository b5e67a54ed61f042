import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, checkActivation, DilatedConv2D, torchPad, type ActivationName, type BlockFn } from '@netblocks/core';
import { blockSe, chain, checkInputChannels, expandedWidth, positiveInteger } from './block-parts.js';
import type { InvertedResidualArgs } from './inverted-residual.js';
import { FUSED_MBCONV_NAMING, type FusedMBConvLayerNames, type FusedMBConvNamingName } from './naming.js';
import { checkDropRate } from './op.js';
import { StochasticDepth } from './stochastic-depth-layer.js';

export interface FusedMBConvArgs extends Omit<InvertedResidualArgs, 'names' | 'activation'> {
  /** Activation after the kxk conv. Default `'swish'` (EfficientNetV2). */
  activation?: ActivationName;
  /** Which reference's layer names to use. Default `'torchvision-efficientnet'`. */
  names?: FusedMBConvNamingName;
}

const FN = 'fusedMBConv';

/**
 * Fused-MBConv (Tan & Le 2021, EfficientNetV2, fig. 2): the MBConv's 1x1 expansion and kxk
 * depthwise conv replaced by one regular kxk conv, stride s or dilation d -> BN -> act -> optional
 * SE (timm) -> 1x1 projection -> BN (linear). At t = 1 the block is the kxk conv -> BN -> act
 * alone, with the output width. Residual (after an optional drop path) only at stride 1 with `inChannels ==
 * outChannels`. Options as `invertedResidual`'s.
 */
export function fusedMBConv(args: FusedMBConvArgs): BlockFn {
  const { name } = args;
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${FN}: \`name\` must be a non-empty string (got name=${JSON.stringify(name)})`);
  const inChannels = positiveInteger(FN, 'inChannels', args.inChannels);
  const outChannels = positiveInteger(FN, 'outChannels', args.outChannels);
  const strides = positiveInteger(FN, 'strides', args.strides ?? 1);
  const kernelSize = positiveInteger(FN, 'kernelSize', args.kernelSize ?? 3);
  const dilation = positiveInteger(FN, 'dilation', args.dilation ?? 1);
  // TF.js's conv2d takes a stride or a dilation above 1, not both (timm's builders never ask for both).
  if (strides > 1 && dilation > 1) throw new Error(`${FN}: \`strides\` and \`dilation\` cannot both exceed 1 (got strides=${strides}, dilation=${dilation})`);
  const expanded = expandedWidth(FN, inChannels, args.expandRatio, args.expandDivisor ?? null);
  const activation = checkActivation(args.activation ?? 'swish');
  const padding = args.padding ?? 'torch';
  if (padding !== 'torch' && padding !== 'same') throw new Error(`${FN}: \`padding\` must be 'torch' or 'same' (got padding=${JSON.stringify(padding)})`);
  const namesKey = args.names ?? 'torchvision-efficientnet';
  const naming = FUSED_MBCONV_NAMING[namesKey];
  if (naming === undefined) {
    throw new Error(`${FN}: \`names\` must be one of ${Object.keys(FUSED_MBCONV_NAMING).join(', ')} (got names=${JSON.stringify(namesKey)})`);
  }
  const hasExpansion = args.expandRatio !== 1;
  const se = args.se ?? null;
  const shape = `${hasExpansion ? 'expand' : 'dw'}${se ? '+se' : ''}` as const;
  const relative = (naming.layers as Partial<Record<typeof shape, FusedMBConvLayerNames>>)[shape];
  if (relative === undefined) {
    throw new Error(`${FN} ${name}: names '${namesKey}' has no block of shape '${shape}' (got se=${JSON.stringify(se)})`);
  }
  const n = (slot: string | undefined) => (slot === undefined ? undefined : `${name}.${slot}`);
  const hasResidual = strides === 1 && inChannels === outChannels;
  const dropPathRate = checkDropRate(args.dropPathRate ?? 0, 'dropPathRate');

  const convName = n(relative.conv) as string;
  const pad = padding === 'torch' ? torchPad(`${convName}.pad`, kernelSize, dilation) : (x: tf.SymbolicTensor) => x;
  const convArgs = {
    name: convName,
    filters: hasExpansion ? expanded : outChannels,
    kernelSize,
    strides,
    dilationRate: dilation,
    padding: padding === 'same' ? ('same' as const) : ('valid' as const),
    useBias: false,
  };
  // Dilated, core's DilatedConv2D (same name, weight and config keys): the stock Conv2D runs
  // tf.fused.conv2d, whose gradient rejects dilation > 1.
  const conv = dilation > 1 ? new DilatedConv2D(convArgs) : tf.layers.conv2d(convArgs);
  const head = [conv, batchNorm(n(relative.bn) as string, args), activation === 'linear' ? null : activationLayer(activation, n(relative.act) as string)];
  const seFn =
    se && relative.se !== undefined
      ? blockSe(se, { fn: FN, blockName: name, layerName: n(relative.se) as string, inChannels, channels: expanded, blockActivation: activation, reduceName: naming.seReduce, expandName: naming.seExpand })
      : null;
  const project =
    relative.projectConv !== undefined && relative.projectBn !== undefined
      ? [tf.layers.conv2d({ name: n(relative.projectConv), filters: outChannels, kernelSize: 1, useBias: false }), batchNorm(n(relative.projectBn) as string, args)]
      : [];
  const drop = hasResidual && dropPathRate > 0 ? new StochasticDepth({ name: `${name}.${naming.dropPath}`, rate: dropPathRate, seed: args.dropPathSeed ?? null }) : null;
  const add = hasResidual ? tf.layers.add({ name: `${name}.${naming.add}` }) : null;
  return (x) => {
    checkInputChannels(FN, name, x, inChannels);
    let y = chain(head, pad(x));
    if (seFn) y = seFn(y);
    y = chain([...project, drop], y);
    return add ? (add.apply([y, x]) as tf.SymbolicTensor) : y;
  };
}
