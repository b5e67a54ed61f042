import type * as tf from '@tensorflow/tfjs';
import type { BlockFn } from '@netblocks/core';
import type { SeActivation, SeGate } from './op.js';
import { seReducedChannels, SENET_WIDTH, type SeWidth } from './reduced-channels.js';
import { SqueezeExcite, type SeKernelLayout } from './squeeze-excite-layer.js';

/** Everything about a squeeze-and-excitation except where it sits: what blocks and models take. */
export interface SeOptions {
  /** Width of the reduced FC. Default `{ ratio: 1 / 16, of: 'output' }` (SENet: C/16 of the gated channels). */
  reduced?: SeWidth;
  /** Activation after the reduce FC. Default `'relu'`. */
  activation?: SeActivation;
  /** Gate. Default `'sigmoid'`. */
  gate?: SeGate;
  /** Kernel shapes. Default `'conv1x1'`. */
  kernelLayout?: SeKernelLayout;
  /** Name of the reduce FC inside the layer. Default `'fc1'`. */
  reduceName?: string;
  /** Name of the expand FC inside the layer. Default `'fc2'`. */
  expandName?: string;
}

export interface SeBlockArgs extends SeOptions {
  /** Name of the `SqueezeExcite` layer, e.g. `layer1.0.se`. */
  name: string;
  /** Channels of the tensor it gates. */
  channels: number;
}

/** Something applied to a residual branch before the addition, named under the block: the shape
 * of `resnextBottleneck`'s `attention` hook in `@netblocks/group-conv`. */
export type BranchAttention = (name: string, channels: number) => BlockFn;

/** A squeeze-and-excitation on a `channels`-channel tensor, as one `SqueezeExcite` layer named `name`. */
export function seBlock(args: SeBlockArgs): BlockFn {
  const { name, channels, reduced = SENET_WIDTH, ...layerArgs } = args;
  if (typeof name !== 'string' || name.length === 0) {
    throw new Error(`seBlock: \`name\` must be a non-empty string (got name=${JSON.stringify(name)})`);
  }
  const layer = new SqueezeExcite({ name, reducedChannels: seReducedChannels(reduced, channels), ...layerArgs });
  return (x) => {
    const c = x.shape[x.shape.length - 1];
    if (c !== channels) throw new Error(`seBlock ${name}: built for ${channels} channels (got an input with ${String(c)})`);
    return layer.apply(x) as tf.SymbolicTensor;
  };
}

/** `options` as a branch attention: `(name, channels) => seBlock({ name, channels, ...options })`.
 * Pass it as `resnextBottleneck({ ..., attention: seAttention() })` for SE-ResNe(X)t. */
export function seAttention(options: SeOptions = {}): BranchAttention {
  return (name, channels) => seBlock({ ...options, name, channels });
}

/**
 * Wraps a block builder that takes an `attention` hook (applied to its residual branch before the
 * addition, as `resnextBottleneck` does) so that every block it builds carries a squeeze-and-
 * excitation there: the SE-ResNet placement (Hu et al. 2018, fig. 3).
 */
export function withSE<A extends { attention?: BranchAttention }>(
  builder: (args: A) => BlockFn,
  options: SeOptions = {},
): (args: Omit<A, 'attention'>) => BlockFn {
  const attention = seAttention(options);
  return (args) => builder({ ...args, attention } as A);
}
