import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, checkActivation, type ActivationName, type BatchNormArgs, type BlockFn, type PaddingMode } from '@netblocks/core';
import { NetblocksDepthwiseConv2D } from './depthwise-conv2d-layer.js';

/** Arguments of `mobilenetV1Block`. */
export interface MobileNetV1BlockArgs extends BatchNormArgs {
  /** Name prefix of the block's layers, e.g. `blocks.3.0` (timm's module path). */
  name: string;
  /** Output channels of the pointwise conv. Required. */
  filters: number;
  /** Stride of the depthwise conv. Default 1. */
  strides?: number;
  /** Dilation of the depthwise conv (timm's `dilation`, which its builder uses for `output_stride`
   * 16 and 8); torch padding grows to `dilation * (k - 1) / 2`. The pointwise conv is 1x1. Default 1. */
  dilation?: number;
  /** Depthwise kernel size. Default 3. */
  kernelSize?: number;
  /** Channel multiplier of the depthwise conv (not MobileNet's width multiplier alpha, which
   * scales `filters`). Default 1. */
  depthMultiplier?: number;
  /** Padding of the depthwise conv. Default `'torch'` (symmetric, as timm pads). */
  padding?: PaddingMode;
  /** Activation after each BatchNorm, or null for none. Default `'relu'`. */
  activation?: ActivationName | null;
}

/**
 * MobileNetV1's depthwise-separable block (MobileNets, Fig. 3 right): depthwise `k x k` conv
 * (stride s, dilation d) -> BN -> activation -> pointwise 1x1 conv -> BN -> activation, no residual. Convs have no bias.
 *
 * Layers are named as timm's `DepthwiseSeparableConv` (block type `dsa`) names its modules, so
 * weights map by name: `${name}.conv_dw` (`NetblocksDepthwiseConv2D`), `${name}.bn1`,
 * `${name}.bn1.act`, `${name}.conv_pw` (Conv2D 1x1), `${name}.bn2`, `${name}.bn2.act` (timm's
 * `BatchNormAct2d` holds its activation as `.act`).
 */
export function mobilenetV1Block(args: MobileNetV1BlockArgs): BlockFn {
  const { name, filters } = args;
  if (typeof name !== 'string' || name.length === 0) {
    throw new Error(`mobilenetV1Block: \`name\` must be a non-empty string (got name=${JSON.stringify(name)})`);
  }
  if (!Number.isInteger(filters) || filters < 1) {
    throw new Error(`mobilenetV1Block: \`filters\` must be a positive integer (got filters=${JSON.stringify(filters)})`);
  }
  const dilation = args.dilation ?? 1;
  if (!Number.isInteger(dilation) || dilation < 1) {
    throw new Error(`mobilenetV1Block: \`dilation\` must be a positive integer (got dilation=${JSON.stringify(dilation)})`);
  }
  const activation = args.activation === undefined ? 'relu' : args.activation;
  if (activation !== null) checkActivation(activation);
  const depthwise = new NetblocksDepthwiseConv2D({
    name: `${name}.conv_dw`,
    kernelSize: args.kernelSize ?? 3,
    strides: args.strides ?? 1,
    dilationRate: dilation,
    depthMultiplier: args.depthMultiplier ?? 1,
    padding: args.padding ?? 'torch',
    useBias: false,
  });
  const pointwise = tf.layers.conv2d({ name: `${name}.conv_pw`, filters, kernelSize: 1, useBias: false });
  const bn1 = batchNorm(`${name}.bn1`, args);
  const bn2 = batchNorm(`${name}.bn2`, args);
  const act = (suffix: string): tf.layers.Layer | null =>
    activation === null || activation === 'linear' ? null : activationLayer(activation, `${name}.${suffix}.act`);
  const act1 = act('bn1');
  const act2 = act('bn2');
  const apply = (layer: tf.layers.Layer | null, x: tf.SymbolicTensor): tf.SymbolicTensor =>
    layer === null ? x : (layer.apply(x) as tf.SymbolicTensor);
  return (x) => {
    const y = apply(act1, apply(bn1, apply(depthwise, x)));
    return apply(act2, apply(bn2, apply(pointwise, y)));
  };
}
