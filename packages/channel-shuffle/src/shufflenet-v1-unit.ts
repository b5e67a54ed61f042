import * as tf from '@tensorflow/tfjs';
import type { BatchNormArgs, BlockFn } from '@netblocks/core';
import { ChannelShuffle } from './channel-shuffle-layer.js';
import { checkShuffleOrder, type ShuffleOrder } from './op.js';
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

/**
 * Where a ShuffleNet V1 unit shuffles its channels:
 * - `'beforeDepthwise'`: after the first 1x1 group conv's ReLU, as the paper's Fig. 2 draws it;
 * - `'afterDepthwise'`: after the depthwise conv's BN, as megvii's released code (and checkpoints) do.
 * With the same `ShuffleOrder`, the two compute the same function once the depthwise and its BN's
 * weights are permuted by the shuffle; their checkpoints are not interchangeable as they are.
 */
export type ShufflePlacement = 'beforeDepthwise' | 'afterDepthwise';

/** Configuration of one ShuffleNet V1 unit (megvii's `ShuffleV1Block`). */
export interface ShuffleNetV1UnitArgs extends BatchNormArgs {
  /** Name prefix. Layers are named as megvii's modules: `${name}.branch_main_1.0` (1x1 group conv),
   * `.1` (BN), `.2` (ReLU), `.3` (3x3 depthwise), `.4` (BN); `${name}.branch_main_2.0` (1x1 group
   * conv), `.1` (BN); `${name}.branch_proj` (stride-2 average pool); plus `${name}.shuffle`,
   * `${name}.branch_main_1.pad` / `${name}.branch_proj.pad` (torch padding), `${name}.add` (stride 1)
   * or `${name}.concat` (stride 2), and `${name}.relu`. */
  name: string;
  /** Input channels. With stride 1 they must equal `outChannels`. */
  inChannels: number;
  /** Output channels. With stride 2 the main branch gives `outChannels - inChannels` of them and the
   * average-pooled input the rest. */
  outChannels: number;
  /** Groups of the 1x1 convs and of the channel shuffle (the paper's g: 1, 2, 3, 4 or 8). */
  groups: number;
  /** Stride: 1 (residual add) or 2 (average-pool shortcut, concatenation). Default 1. */
  strides?: number;
  /** Whether the first 1x1 conv is ungrouped: true for the first unit of stage 2, whose input (the
   * stem's 24 channels) is too narrow to group. The shuffle still uses `groups`. Default false. */
  firstGroupUngrouped?: boolean;
  /** Where the shuffle goes. Default `'afterDepthwise'` (megvii). */
  shuffle?: ShufflePlacement;
  /** Which shuffle. Default `'megvii'` with `'afterDepthwise'` and `'paper'` with
   * `'beforeDepthwise'`: megvii's code as released, or the paper as drawn. */
  shuffleOrder?: ShuffleOrder;
  /** Channels of the bottleneck (the depthwise conv's). Default `floor(outChannels / 4)`, as the
   * paper and megvii (a quarter of the unit's output, also at stride 2). */
  bottleneckChannels?: number;
  /** Padding of the 3x3 depthwise conv and the 3x3 average pool. Default `'torch'`, whose pool
   * divides by 9 at the borders too (PyTorch's `count_include_pad`); `'same'` divides by the
   * pixels inside the image only. */
  padding?: UnitPadding;
}

/** `ShuffleNetV1UnitArgs` with every default filled in. */
export interface ResolvedShuffleNetV1UnitArgs {
  name: string;
  inChannels: number;
  outChannels: number;
  groups: number;
  strides: 1 | 2;
  firstGroupUngrouped: boolean;
  shuffle: ShufflePlacement;
  shuffleOrder: ShuffleOrder;
  bottleneckChannels: number;
  padding: UnitPadding;
  epsilon: number;
  momentum: number;
}

const FN = 'shuffleNetV1Unit';

function checkDivides(what: string, value: number, groups: number): void {
  if (value % groups !== 0) {
    throw new Error(`${FN}: \`groups\` must divide ${what} (got ${what}=${value}, groups=${groups})`);
  }
}

/** Fills in the defaults of `ShuffleNetV1UnitArgs` and checks every field. */
export function resolveShuffleNetV1UnitArgs(args: ShuffleNetV1UnitArgs): ResolvedShuffleNetV1UnitArgs {
  if (typeof args.name !== 'string' || args.name.length === 0) {
    throw new Error(`${FN}: \`name\` must be a non-empty string (got name=${JSON.stringify(args.name)})`);
  }
  const inChannels = checkPositiveInt(FN, 'inChannels', args.inChannels);
  const outChannels = checkPositiveInt(FN, 'outChannels', args.outChannels);
  const groups = checkPositiveInt(FN, 'groups', args.groups);
  const strides = args.strides ?? 1;
  if (strides !== 1 && strides !== 2) throw new Error(`${FN}: \`strides\` must be 1 or 2 (got strides=${strides})`);
  if (strides === 1 && inChannels !== outChannels) {
    throw new Error(
      `${FN}: with strides=1 \`inChannels\` must equal \`outChannels\` (got inChannels=${inChannels}, outChannels=${outChannels})`,
    );
  }
  if (strides === 2 && outChannels <= inChannels) {
    throw new Error(
      `${FN}: with strides=2 \`outChannels\` must exceed \`inChannels\` (got inChannels=${inChannels}, outChannels=${outChannels})`,
    );
  }
  const firstGroupUngrouped = args.firstGroupUngrouped ?? false;
  const shuffle = args.shuffle ?? 'afterDepthwise';
  if (shuffle !== 'beforeDepthwise' && shuffle !== 'afterDepthwise') {
    throw new Error(`${FN}: \`shuffle\` must be 'beforeDepthwise' or 'afterDepthwise' (got shuffle=${JSON.stringify(shuffle)})`);
  }
  const shuffleOrder = checkShuffleOrder(FN, args.shuffleOrder ?? (shuffle === 'afterDepthwise' ? 'megvii' : 'paper'), 'shuffleOrder');
  const bottleneckChannels = checkPositiveInt(FN, 'bottleneckChannels', args.bottleneckChannels ?? Math.floor(outChannels / 4));
  if (!firstGroupUngrouped) checkDivides('inChannels', inChannels, groups);
  checkDivides('bottleneckChannels', bottleneckChannels, groups);
  checkDivides(strides === 1 ? 'outChannels' : 'outChannels - inChannels', outChannels - (strides === 1 ? 0 : inChannels), groups);
  const epsilon = args.epsilon ?? 1e-5;
  if (!(epsilon > 0)) throw new Error(`${FN}: \`epsilon\` must be positive (got epsilon=${epsilon})`);
  const momentum = args.momentum ?? 0.9;
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`${FN}: \`momentum\` must be in [0, 1] (got momentum=${momentum})`);
  return {
    name: args.name,
    inChannels,
    outChannels,
    groups,
    strides,
    firstGroupUngrouped,
    shuffle,
    shuffleOrder,
    bottleneckChannels,
    padding: checkUnitPadding(FN, args.padding ?? 'torch'),
    epsilon,
    momentum,
  };
}

/** The stride-2 shortcut: 3x3 average pool, stride 2, padding 1. With `'torch'` padding the input
 * is zero-padded first and pooled `'valid'`, so border windows divide by 9 as PyTorch's
 * `AvgPool2d(3, 2, 1)` (count_include_pad) does; TF's `'same'` would divide by the pixels inside. */
function averagePoolShortcut(name: string, padding: UnitPadding): BlockFn {
  const pad = padding === 'torch' ? tf.layers.zeroPadding2d({ name: `${name}.pad`, padding: [[1, 1], [1, 1]] }) : null;
  const pool = tf.layers.averagePooling2d({ name, poolSize: 3, strides: 2, padding: padding === 'torch' ? 'valid' : 'same' });
  return (x) => applyLayer(pool, pad === null ? x : applyLayer(pad, x));
}

/**
 * ShuffleNet V1 unit (Zhang et al. 2017, Fig. 2b/c), as megvii's `ShuffleV1Block`: 1x1 group conv
 * -> BN -> ReLU -> 3x3 depthwise (stride s) -> BN -> 1x1 group conv -> BN, with a channel shuffle
 * (g groups, skipped when g = 1) before or after the depthwise conv (`shuffle`), and no ReLU after
 * the depthwise conv. Stride 1: `relu(x + main)`. Stride 2: `concat(avgPool3x3/2(x), relu(main))`,
 * where main gives `outChannels - inChannels` channels.
 */
export function shuffleNetV1Unit(args: ShuffleNetV1UnitArgs): BlockFn {
  const a = resolveShuffleNetV1UnitArgs(args);
  const { name, groups } = a;
  const mainOut = a.strides === 1 ? a.outChannels : a.outChannels - a.inChannels;
  const shuffleLayer = groups === 1 ? null : new ChannelShuffle({ name: `${name}.shuffle`, groups, order: a.shuffleOrder });
  const shuffle: BlockFn = (x) => (shuffleLayer === null ? x : applyLayer(shuffleLayer, x));
  const beforeDepthwise = a.shuffle === 'beforeDepthwise' ? shuffle : (x: tf.SymbolicTensor) => x;
  const afterDepthwise = a.shuffle === 'afterDepthwise' ? shuffle : (x: tf.SymbolicTensor) => x;
  const main = sequence(
    pointwiseConv(`${name}.branch_main_1.0`, a.bottleneckChannels, a.firstGroupUngrouped ? 1 : groups),
    batchNormLayer(`${name}.branch_main_1.1`, a),
    relu(`${name}.branch_main_1.2`),
    beforeDepthwise,
    depthwise3x3(`${name}.branch_main_1.3`, `${name}.branch_main_1.pad`, a.strides, a.padding),
    batchNormLayer(`${name}.branch_main_1.4`, a),
    afterDepthwise,
    pointwiseConv(`${name}.branch_main_2.0`, mainOut, groups),
    batchNormLayer(`${name}.branch_main_2.1`, a),
  );
  const finalRelu = relu(`${name}.relu`);
  if (a.strides === 1) {
    const add = tf.layers.add({ name: `${name}.add` });
    return (x) => {
      checkInputChannels(FN, name, x, a.inChannels);
      return finalRelu(applyLayer(add, [main(x), x]));
    };
  }
  const shortcut = averagePoolShortcut(`${name}.branch_proj`, a.padding);
  const concat = tf.layers.concatenate({ name: `${name}.concat`, axis: -1 });
  return (x) => {
    checkInputChannels(FN, name, x, a.inChannels);
    return applyLayer(concat, [shortcut(x), finalRelu(main(x))]);
  };
}
