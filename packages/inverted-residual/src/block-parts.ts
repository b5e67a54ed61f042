import type * as tf from '@tensorflow/tfjs';
import { makeDivisible, type ActivationName, type BlockFn } from '@netblocks/core';
import { SE_ACTIVATIONS, seBlock, type SeActivation, type SeOptions, type SeWidth } from '@netblocks/se-block';

/** Throws unless `value` is a positive integer, naming the builder `fn`, the argument and the value. */
export function positiveInteger(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${fn}: \`${what}\` must be a positive integer (got ${what}=${String(value)})`);
  }
  return value;
}

/** Python's `round` (half to even), which torchvision's `int(round(inp * t))` uses. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  if (value - floor !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Hidden width `Cin * t`: Python-rounded without a divisor (torchvision MobileNetV2), else
 * `makeDivisible(Cin * t, divisor)` (torchvision EfficientNet, timm). */
export function expandedWidth(fn: string, inChannels: number, expandRatio: number, divisor: number | null): number {
  if (typeof expandRatio !== 'number' || !(expandRatio > 0) || !Number.isFinite(expandRatio)) {
    throw new Error(`${fn}: \`expandRatio\` must be a positive number (got expandRatio=${String(expandRatio)})`);
  }
  if (expandRatio === 1) return inChannels;
  return divisor === null ? roundHalfEven(inChannels * expandRatio) : makeDivisible(inChannels * expandRatio, divisor);
}

/** The SE width with EfficientNet's default and an `of: 'input'` base filled in from `inChannels`. */
export function seWidthOf(se: SeOptions, inChannels: number): SeWidth {
  const width = se.reduced ?? { ratio: 0.25, of: 'input' };
  if ('ratio' in width && width.of === 'input' && width.baseChannels === undefined) return { ...width, baseChannels: inChannels };
  return width;
}

/** Where an SE sits in a block and what it inherits from it. */
export interface BlockSe {
  /** Builder and block name, for messages. */
  fn: string;
  blockName: string;
  /** Full name of the SE layer. */
  layerName: string;
  /** The block's input channels (base of `of: 'input'`) and the channels the SE gates. */
  inChannels: number;
  channels: number;
  /** The block's activation: the SE's unless `se.activation` is given (timm's behaviour). */
  blockActivation: ActivationName;
  /** FC names of the naming scheme, unless `se.reduceName` / `se.expandName` are given. */
  reduceName: string;
  expandName: string;
}

/** A squeeze-and-excitation inside a block, with the block's defaults filled in. */
export function blockSe(se: SeOptions, at: BlockSe): BlockFn {
  let activation = se.activation;
  if (activation === undefined) {
    if (!SE_ACTIVATIONS.includes(at.blockActivation as SeActivation)) {
      throw new Error(
        `${at.fn} ${at.blockName}: the SE takes the block's activation unless \`se.activation\` is given, and it must be one of ${SE_ACTIVATIONS.join(', ')} (got activation=${JSON.stringify(at.blockActivation)})`,
      );
    }
    activation = at.blockActivation as SeActivation;
  }
  return seBlock({
    ...se,
    name: at.layerName,
    channels: at.channels,
    reduced: seWidthOf(se, at.inChannels),
    activation,
    reduceName: se.reduceName ?? at.reduceName,
    expandName: se.expandName ?? at.expandName,
  });
}

/** Applies `layers` in order, skipping nulls. */
export function chain(layers: readonly (tf.layers.Layer | null)[], x: tf.SymbolicTensor): tf.SymbolicTensor {
  return layers.reduce((y, layer) => (layer ? (layer.apply(y) as tf.SymbolicTensor) : y), x);
}

/** Throws unless the symbolic input has `inChannels` channels. */
export function checkInputChannels(fn: string, blockName: string, x: tf.SymbolicTensor, inChannels: number): void {
  const channels = x.shape[x.shape.length - 1];
  if (channels !== inChannels) {
    throw new Error(`${fn} ${blockName}: built for inChannels=${inChannels} (got an input with ${String(channels)} channels)`);
  }
}
