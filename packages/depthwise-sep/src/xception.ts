import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, type BatchNormArgs, type BlockFn } from '@netblocks/core';
import { NetblocksSeparableConv2D } from './separable-conv2d-layer.js';

/** Padding of Xception's convs and max-pools: `'torch'` as timm's legacy_xception (PyTorch), or
 * `'same'` as Keras Applications' Xception. */
export type XceptionPadding = 'torch' | 'same';

function positiveInt(fn: string, name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${fn}: \`${name}\` must be a positive integer (got ${name}=${JSON.stringify(value)})`);
  return value as number;
}

function checkName(fn: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${fn}: \`name\` must be a non-empty string (got name=${JSON.stringify(name)})`);
  return name;
}

const applyLayer = (layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor => layer.apply(x) as tf.SymbolicTensor;

/**
 * A max-pool of odd `poolSize` and `strides` that pads as PyTorch's `MaxPool2d(k, s, (k - 1) / 2)`:
 * symmetrically, the padding never winning the max. TF's `'same'` pads bottom/right only, which
 * shifts the windows on even inputs. Built from two stock layers: `name` is a `'same'` pool at
 * stride 1 (its window centred on every pixel, padding ignored), and `${name}.stride` keeps every
 * `strides`-th pixel from the first, which are exactly the centres of PyTorch's windows.
 */
export function torchMaxPool(name: string, poolSize = 3, strides = 2): BlockFn {
  checkName('torchMaxPool', name);
  if (positiveInt('torchMaxPool', 'poolSize', poolSize) % 2 === 0) {
    throw new Error(`torchMaxPool: \`poolSize\` must be odd for symmetric padding (got poolSize=${poolSize})`);
  }
  positiveInt('torchMaxPool', 'strides', strides);
  const pool = tf.layers.maxPooling2d({ name, poolSize, strides: 1, padding: 'same' });
  const subsample = strides === 1 ? null : tf.layers.maxPooling2d({ name: `${name}.stride`, poolSize: 1, strides, padding: 'valid' });
  return (x) => {
    const y = applyLayer(pool, x);
    return subsample === null ? y : applyLayer(subsample, y);
  };
}

/** Arguments of `xceptionSeparable`. */
export interface XceptionSeparableArgs extends BatchNormArgs {
  /** Name prefix: the layers are numbered `${name}.${firstIndex}`, `${name}.${firstIndex + 1}`, ...
   * as a PyTorch `nn.Sequential` numbers its children. */
  name: string;
  /** Number of the first layer. Default 0. Xception's blocks number their ReLU / SeparableConv /
   * BN triples continuously (`rep.0` ... `rep.8`), which `xceptionBlock` uses. */
  firstIndex?: number;
  /** Output channels. Required. */
  filters: number;
  /** Depthwise kernel size. Default 3. */
  kernelSize?: number;
  /** Stride of the depthwise conv. Default 1 (Xception strides with a max-pool instead). */
  strides?: number;
  /** Dilation of the depthwise conv. Default 1. */
  dilation?: number;
  /** Padding of the depthwise conv. Default `'torch'`. */
  padding?: XceptionPadding;
  /** A ReLU before the separable conv, as in Xception's flows. Default true. */
  preActivation?: boolean;
  /** A BatchNorm after the separable conv. Default true. */
  bn?: boolean;
}

/**
 * One unit of Xception's flows (Xception, Fig. 5): [ReLU ->] SeparableConv (depthwise then pointwise,
 * nothing between, no bias) [-> BN]. Layers, numbered from `firstIndex = i`: `${name}.${i}` ReLU
 * (with `preActivation`), then `NetblocksSeparableConv2D`, then BatchNorm. The separable conv's
 * weights `depthwise_kernel` and `pointwise_kernel` map to timm's `SeparableConv2d` `.conv1.weight`
 * and `.pointwise.weight` under the same module path.
 */
export function xceptionSeparable(args: XceptionSeparableArgs): BlockFn {
  const fn = 'xceptionSeparable';
  const name = checkName(fn, args.name);
  const firstIndex = args.firstIndex ?? 0;
  if (!Number.isInteger(firstIndex) || firstIndex < 0) {
    throw new Error(`${fn}: \`firstIndex\` must be an integer >= 0 (got firstIndex=${JSON.stringify(firstIndex)})`);
  }
  const preActivation = args.preActivation ?? true;
  let index = firstIndex;
  const relu = preActivation ? activationLayer('relu', `${name}.${index++}`) : null;
  const conv = new NetblocksSeparableConv2D({
    name: `${name}.${index++}`,
    filters: positiveInt(fn, 'filters', args.filters),
    kernelSize: args.kernelSize ?? 3,
    strides: args.strides ?? 1,
    dilationRate: args.dilation ?? 1,
    padding: args.padding ?? 'torch',
    useBias: false,
  });
  const bn = (args.bn ?? true) ? batchNorm(`${name}.${index}`, args) : null;
  return (x) => {
    const y = applyLayer(conv, relu === null ? x : applyLayer(relu, x));
    return bn === null ? y : applyLayer(bn, y);
  };
}

/** Arguments of `xceptionBlock`. */
export interface XceptionBlockArgs extends BatchNormArgs {
  /** Name prefix, e.g. `block1` (timm's module name). */
  name: string;
  /** Output channels. Required. */
  filters: number;
  /** Number of ReLU / SeparableConv / BN units. Required. */
  reps: number;
  /** Downsampling of the block, by a 3x3 max-pool at its end and the strided 1x1 skip conv. Default 1. */
  strides?: number;
  /** Start with a ReLU (all blocks but the entry flow's first). Default true. */
  startWithRelu?: boolean;
  /** Reach `filters` at the first unit (true) or only at the last (false, the exit flow's block). Default true. */
  growFirst?: boolean;
  /** Padding of the separable convs and the max-pool. Default `'torch'`. */
  padding?: XceptionPadding;
}

/**
 * The residual block of Xception's entry, middle and exit flows, as timm's legacy_xception `Block`:
 * `reps` units of ReLU -> SeparableConv 3x3 -> BN (the first without its ReLU unless
 * `startWithRelu`), a 3x3 max-pool with stride `strides` when `strides != 1`, plus a skip: the input
 * itself, or a strided 1x1 conv (no bias) -> BN when the channels or the stride change. The skip
 * takes the input before any ReLU.
 *
 * Layer names follow timm's module paths: `${name}.rep.${i}` numbered as its `nn.Sequential` (see
 * `xceptionSeparable`; the max-pool is the last index, its stride layer `.stride`), `${name}.skip`,
 * `${name}.skipbn`, and the sum `${name}.add`. The input channels are read from the input, so the
 * layers are made when the returned function is called (once).
 */
export function xceptionBlock(args: XceptionBlockArgs): BlockFn {
  const fn = 'xceptionBlock';
  const name = checkName(fn, args.name);
  const filters = positiveInt(fn, 'filters', args.filters);
  const reps = positiveInt(fn, 'reps', args.reps);
  const strides = positiveInt(fn, 'strides', args.strides ?? 1);
  const startWithRelu = args.startWithRelu ?? true;
  const growFirst = args.growFirst ?? true;
  const padding = args.padding ?? 'torch';
  if (padding !== 'torch' && padding !== 'same') {
    throw new Error(`${fn}: \`padding\` must be 'torch' or 'same' (got padding=${JSON.stringify(padding)})`);
  }
  const bnArgs: BatchNormArgs = { epsilon: args.epsilon, momentum: args.momentum };
  return (x) => {
    const inChannels = x.shape[x.shape.length - 1];
    if (typeof inChannels !== 'number') throw new Error(`${fn}: the input's channel axis must be known (got shape=${JSON.stringify(x.shape)})`);
    let y = x;
    // timm's nn.Sequential: [ReLU, SepConv, BN] per unit, the leading ReLU dropped without startWithRelu.
    let index = 0;
    for (let i = 0; i < reps; i++) {
      const unitFilters = growFirst || i === reps - 1 ? filters : inChannels;
      const preActivation = i > 0 || startWithRelu;
      y = xceptionSeparable({ name: `${name}.rep`, firstIndex: index, filters: unitFilters, padding, preActivation, ...bnArgs })(y);
      index += preActivation ? 3 : 2;
    }
    if (strides !== 1) {
      y =
        padding === 'torch'
          ? torchMaxPool(`${name}.rep.${index}`, 3, strides)(y)
          : applyLayer(tf.layers.maxPooling2d({ name: `${name}.rep.${index}`, poolSize: 3, strides, padding: 'same' }), y);
    }
    let skip = x;
    if (filters !== inChannels || strides !== 1) {
      const conv = tf.layers.conv2d({ name: `${name}.skip`, filters, kernelSize: 1, strides, useBias: false });
      skip = applyLayer(batchNorm(`${name}.skipbn`, bnArgs), applyLayer(conv, x));
    }
    return tf.layers.add({ name: `${name}.add` }).apply([y, skip]) as tf.SymbolicTensor;
  };
}
