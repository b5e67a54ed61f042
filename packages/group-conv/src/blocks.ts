import type * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, type ActivationName, type BatchNormArgs, type BlockFn } from '@netblocks/core';
import { GroupConv2D } from './group-conv-layer.js';

export interface GroupConvBnActArgs extends BatchNormArgs {
  /** Name prefix: the layers are `${name}.0` (grouped conv), `${name}.1` (BN), `${name}.2` (activation). */
  name: string;
  /** Output channels. */
  filters: number;
  /** Number of groups. */
  groups: number;
  /** Square kernel size. Default 3. */
  kernelSize?: number;
  /** Stride. Default 1. */
  strides?: number;
  /** Dilation. Default 1. */
  dilation?: number;
  /** Padding. Default `'torch'` (symmetric, so PyTorch weights give PyTorch's numbers). */
  padding?: 'torch' | 'same' | 'valid';
  /** Activation after the BN, or null for none. Default `'relu'`. */
  activation?: ActivationName | null;
}

/** Grouped conv (no bias) -> BatchNorm -> activation, with deterministic names. */
export function groupConvBnAct(args: GroupConvBnActArgs): BlockFn {
  const conv = new GroupConv2D({
    name: `${args.name}.0`,
    filters: args.filters,
    groups: args.groups,
    kernelSize: args.kernelSize ?? 3,
    strides: args.strides ?? 1,
    dilationRate: args.dilation ?? 1,
    padding: args.padding ?? 'torch',
    useBias: false,
  });
  const bn = batchNorm(`${args.name}.1`, args);
  const activation = args.activation === undefined ? 'relu' : args.activation;
  const act = activation === null || activation === 'linear' ? null : activationLayer(activation, `${args.name}.2`);
  return (x) => {
    const y = bn.apply(conv.apply(x)) as tf.SymbolicTensor;
    return act ? (act.apply(y) as tf.SymbolicTensor) : y;
  };
}
