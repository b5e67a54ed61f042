import * as tf from '@tensorflow/tfjs';
import { batchNorm, DilatedConv2D, torchPad, type BatchNormArgs, type BlockFn } from '@netblocks/core';
import { GroupConv2D } from './group-conv-layer.js';

/** Something applied to a residual branch before the addition (an SE block, say), named under the block. */
export type BranchAttention = (name: string, channels: number) => BlockFn;

export interface ResNeXtBottleneckArgs extends BatchNormArgs {
  /** Name prefix, e.g. `layer1.0`; layers follow torchvision/timm: `conv1`, `bn1`, ..., `downsample.0/1`. */
  name: string;
  /** Input channels of the block. */
  inChannels: number;
  /** torchvision's `planes`: the block outputs `planes * expansion` channels. */
  planes: number;
  /** Cardinality C (the number of groups of the 3x3 conv). Default 1 (a ResNet bottleneck). */
  cardinality?: number;
  /** Width per group d at `planes = 64`; the 3x3 conv has `floor(planes * baseWidth / 64) * C` channels. Default 64. */
  baseWidth?: number;
  /** Stride, on the 3x3 conv (ResNet v1.5 / torchvision). Default 1. */
  strides?: number;
  /**
   * Dilation of the 3x3 conv only (timm's `Bottleneck(dilation=...)`, which its ResNets use for
   * `output_stride` 16 and 8; the 1x1 convs and the downsample are not dilated); torch padding grows
   * to `dilation` on every side. The caller gives each block its rate (timm's first block of a
   * dilated stage reads at the previous stage's rate). Not together with `strides` above 1. Default 1.
   */
  dilation?: number;
  /** Output channels are `planes * expansion`. Default 4. */
  expansion?: number;
  /** Applied to the residual branch after `bn3`, before the addition (SE-ResNeXt). Default none. */
  attention?: BranchAttention;
  /** Padding of the 3x3 conv. Default `'torch'`. */
  padding?: 'torch' | 'same';
}

/** Channels of the grouped 3x3 conv: `floor(planes * baseWidth / 64) * cardinality` (torchvision). */
export function bottleneckWidth(planes: number, baseWidth: number, cardinality: number): number {
  return Math.floor(planes * (baseWidth / 64)) * cardinality;
}

/**
 * The ResNeXt bottleneck (Xie et al. 2017, fig. 3c): 1x1 conv -> BN -> ReLU -> 3x3 group conv with
 * cardinality C -> BN -> ReLU -> 1x1 conv -> BN, plus the shortcut (a strided 1x1 conv + BN when the
 * shape changes), then ReLU. Convs have no bias; padding is PyTorch's. With `dilation > 1` the 3x3
 * conv is dilated: a dilated `GroupConv2D` when grouped, else core's `DilatedConv2D` (same name and
 * weights as the Conv2D it replaces; the stock Keras Conv2D cannot train dilated).
 */
export function resnextBottleneck(args: ResNeXtBottleneckArgs): BlockFn {
  const { name, inChannels, planes } = args;
  const cardinality = args.cardinality ?? 1;
  const strides = args.strides ?? 1;
  const dilation = args.dilation ?? 1;
  if (!Number.isInteger(dilation) || dilation < 1) throw new Error(`resnextBottleneck ${name}: \`dilation\` must be a positive integer (got dilation=${String(dilation)})`);
  // timm dilates only where it has dropped a stride (TF.js's conv kernels take one or the other).
  if (strides > 1 && dilation > 1) {
    throw new Error(`resnextBottleneck ${name}: \`strides\` and \`dilation\` cannot both exceed 1 (got strides=${strides}, dilation=${dilation})`);
  }
  const expansion = args.expansion ?? 4;
  const width = bottleneckWidth(planes, args.baseWidth ?? 64, cardinality);
  const outChannels = planes * expansion;
  if (width < cardinality) {
    throw new Error(
      `resnextBottleneck ${name}: the width per group floor(planes * baseWidth / 64) must be at least 1 (got planes=${planes}, baseWidth=${args.baseWidth ?? 64})`,
    );
  }
  const padding = args.padding ?? 'torch';
  // Plain Conv2D wherever the conv is not grouped (a stock layer any TF.js app can load); 1x1 convs
  // need no padding; the grouped 3x3 pads inside GroupConv2D. A dilated ungrouped 3x3 is core's
  // DilatedConv2D after the pad layer (`dilation` wide): the stock Conv2D runs tf.fused.conv2d,
  // whose gradient rejects dilation > 1.
  const conv = (n: string, filters: number, kernelSize: number, s: number, groups: number, d = 1): BlockFn => {
    const layerName = `${name}.${n}`;
    if (groups > 1) {
      const layer = new GroupConv2D({ name: layerName, filters, kernelSize, strides: s, dilationRate: d, groups, useBias: false, padding });
      return (x) => layer.apply(x) as tf.SymbolicTensor;
    }
    const pad = kernelSize > 1 && padding === 'torch' ? torchPad(`${layerName}.pad`, kernelSize, d) : (x: tf.SymbolicTensor) => x;
    const common = { name: layerName, filters, kernelSize, strides: s, useBias: false, padding: padding === 'same' ? ('same' as const) : ('valid' as const) };
    const layer = d > 1 ? new DilatedConv2D({ ...common, dilationRate: d }) : tf.layers.conv2d(common);
    return (x) => layer.apply(pad(x)) as tf.SymbolicTensor;
  };
  const relu = (n: string) => tf.layers.reLU({ name: `${name}.${n}` });
  const layers = {
    conv1: conv('conv1', width, 1, 1, 1),
    bn1: batchNorm(`${name}.bn1`, args),
    relu1: relu('act1'),
    conv2: conv('conv2', width, 3, strides, cardinality, dilation),
    bn2: batchNorm(`${name}.bn2`, args),
    relu2: relu('act2'),
    conv3: conv('conv3', outChannels, 1, 1, 1),
    bn3: batchNorm(`${name}.bn3`, args),
    add: tf.layers.add({ name: `${name}.add` }),
    relu3: relu('act3'),
  };
  const attention = args.attention?.(`${name}.se`, outChannels);
  const needsProjection = strides !== 1 || inChannels !== outChannels;
  const downsample = needsProjection
    ? [conv('downsample.0', outChannels, 1, strides, 1), batchNorm(`${name}.downsample.1`, args)]
    : [];
  const apply = (layer: tf.layers.Layer | BlockFn, x: tf.SymbolicTensor) =>
    (layer instanceof tf.layers.Layer ? layer.apply(x) : layer(x)) as tf.SymbolicTensor;
  return (x) => {
    let y = apply(layers.relu1, apply(layers.bn1, apply(layers.conv1, x)));
    y = apply(layers.relu2, apply(layers.bn2, apply(layers.conv2, y)));
    y = apply(layers.bn3, apply(layers.conv3, y));
    if (attention) y = attention(y);
    const shortcut = downsample.reduce<tf.SymbolicTensor>((s, layer) => apply(layer, s), x);
    return apply(layers.relu3, layers.add.apply([y, shortcut]) as tf.SymbolicTensor);
  };
}
