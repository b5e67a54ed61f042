import * as tf from '@tensorflow/tfjs';
import type { BatchNormArgs, BlockFn } from '@netblocks/core';
import { ChannelShuffle } from './channel-shuffle-layer.js';
import { ChannelSlice } from './channel-slice-layer.js';
import {
  applyLayer,
  batchNormLayer,
  checkInputChannels,
  checkPositiveInt,
  checkUnitPadding,
  depthwise3x3,
  pointwiseConv,
  relu,
  sequence,
  type UnitPadding,
} from './unit-layers.js';

/** Configuration of one ShuffleNet V2 unit (torchvision's `InvertedResidual`). */
export interface ShuffleNetV2UnitArgs extends BatchNormArgs {
  /** Name prefix. Layers are named as torchvision's modules: `${name}.branch1.0` ... `.4` (stride > 1
   * only), `${name}.branch2.0` ... `.7`; plus `${name}.chunk.0/.1` (stride 1 split),
   * `${name}.branch1.pad` / `${name}.branch2.pad` (torch padding), `${name}.concat`, `${name}.shuffle`. */
  name: string;
  /** Input channels. With stride 1 they must equal `outChannels`. */
  inChannels: number;
  /** Output channels; even (each branch gives half). */
  outChannels: number;
  /** Stride of the depthwise convs: 1 (channel split, identity half) or 2 or 3 (both branches
   * see the whole input, the spatial size shrinks). Default 1. */
  strides?: number;
  /** Padding of the 3x3 depthwise convs. Default `'torch'`. */
  padding?: UnitPadding;
}

/** `ShuffleNetV2UnitArgs` with every default filled in. */
export interface ResolvedShuffleNetV2UnitArgs {
  name: string;
  inChannels: number;
  outChannels: number;
  strides: number;
  padding: UnitPadding;
  epsilon: number;
  momentum: number;
}

const FN = 'shuffleNetV2Unit';

/** Fills in the defaults of `ShuffleNetV2UnitArgs` and checks every field. */
export function resolveShuffleNetV2UnitArgs(args: ShuffleNetV2UnitArgs): ResolvedShuffleNetV2UnitArgs {
  if (typeof args.name !== 'string' || args.name.length === 0) {
    throw new Error(`${FN}: \`name\` must be a non-empty string (got name=${JSON.stringify(args.name)})`);
  }
  const inChannels = checkPositiveInt(FN, 'inChannels', args.inChannels);
  const outChannels = checkPositiveInt(FN, 'outChannels', args.outChannels);
  if (outChannels % 2 !== 0) throw new Error(`${FN}: \`outChannels\` must be even (got outChannels=${outChannels})`);
  const strides = args.strides ?? 1;
  if (![1, 2, 3].includes(strides)) throw new Error(`${FN}: \`strides\` must be 1, 2 or 3 (got strides=${strides})`);
  if (strides === 1 && inChannels !== outChannels) {
    throw new Error(
      `${FN}: with strides=1 \`inChannels\` must equal \`outChannels\` (got inChannels=${inChannels}, outChannels=${outChannels})`,
    );
  }
  const epsilon = args.epsilon ?? 1e-5;
  if (!(epsilon > 0)) throw new Error(`${FN}: \`epsilon\` must be positive (got epsilon=${epsilon})`);
  const momentum = args.momentum ?? 0.9;
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`${FN}: \`momentum\` must be in [0, 1] (got momentum=${momentum})`);
  return { name: args.name, inChannels, outChannels, strides, padding: checkUnitPadding(FN, args.padding ?? 'torch'), epsilon, momentum };
}

/**
 * ShuffleNet V2 unit (Ma et al. 2018, Fig. 3c/d), exactly as torchvision's `InvertedResidual`:
 * - stride 1: split the channels in half; the first half passes through, the second goes through
 *   branch2 = 1x1 conv-BN-ReLU, 3x3 depthwise-BN, 1x1 conv-BN-ReLU;
 * - stride > 1: branch1 = 3x3 depthwise (stride s)-BN, 1x1 conv-BN-ReLU, and branch2 (its
 *   depthwise at stride s), both on the whole input;
 * then concatenate [first, second] and channel-shuffle with 2 groups ('paper' order).
 * Each branch outputs `outChannels / 2`. Layer names match torchvision's state-dict keys.
 */
export function shuffleNetV2Unit(args: ShuffleNetV2UnitArgs): BlockFn {
  const a = resolveShuffleNetV2UnitArgs(args);
  const { name, strides, padding } = a;
  const half = a.outChannels / 2;
  const branch2 = sequence(
    pointwiseConv(`${name}.branch2.0`, half),
    batchNormLayer(`${name}.branch2.1`, a),
    relu(`${name}.branch2.2`),
    depthwise3x3(`${name}.branch2.3`, `${name}.branch2.pad`, strides, padding),
    batchNormLayer(`${name}.branch2.4`, a),
    pointwiseConv(`${name}.branch2.5`, half),
    batchNormLayer(`${name}.branch2.6`, a),
    relu(`${name}.branch2.7`),
  );
  // The two halves the unit concatenates. Stride 1: torchvision's x.chunk(2) as two single-output
  // slices, not one two-output split layer, which predict and fit would run twice (see ChannelSlice).
  let halves: (x: tf.SymbolicTensor) => tf.SymbolicTensor[];
  if (strides === 1) {
    const first = new ChannelSlice({ name: `${name}.chunk.0`, begin: 0, size: half });
    const second = new ChannelSlice({ name: `${name}.chunk.1`, begin: half, size: half });
    halves = (x) => [applyLayer(first, x), branch2(applyLayer(second, x))];
  } else {
    const branch1 = sequence(
      depthwise3x3(`${name}.branch1.0`, `${name}.branch1.pad`, strides, padding),
      batchNormLayer(`${name}.branch1.1`, a),
      pointwiseConv(`${name}.branch1.2`, half),
      batchNormLayer(`${name}.branch1.3`, a),
      relu(`${name}.branch1.4`),
    );
    halves = (x) => [branch1(x), branch2(x)];
  }
  const concat = tf.layers.concatenate({ name: `${name}.concat`, axis: -1 });
  const shuffle = new ChannelShuffle({ name: `${name}.shuffle`, groups: 2, order: 'paper' });
  return (x) => {
    checkInputChannels(FN, name, x, a.inChannels);
    return applyLayer(shuffle, applyLayer(concat, halves(x)));
  };
}
