// Builders shared by the ShuffleNet units: single layers with the names the units give them.
import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, torchPad, type BatchNormArgs, type BlockFn } from '@netblocks/core';
import { GroupConv2D } from '@netblocks/group-conv';

/** Padding of a unit's 3x3 convs and pools: `'torch'` (symmetric zero padding, so PyTorch weights
 * give PyTorch's numbers) or `'same'` (TF's, extra row/column at the bottom/right). */
export type UnitPadding = 'torch' | 'same';

/** Applies `layer` to one symbolic tensor (or a list, for merge layers). */
export function applyLayer(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/** 1x1 conv without bias named `name`; a `GroupConv2D` when `groups > 1`. */
export function pointwiseConv(name: string, filters: number, groups = 1): BlockFn {
  const layer =
    groups === 1
      ? tf.layers.conv2d({ name, filters, kernelSize: 1, useBias: false })
      : new GroupConv2D({ name, filters, kernelSize: 1, groups, useBias: false, padding: 'valid' });
  return (x) => applyLayer(layer, x);
}

/** 3x3 depthwise conv without bias named `name`, at `strides`; with `'torch'` padding, preceded by
 * a `ZeroPadding2D` named `padName`. */
export function depthwise3x3(name: string, padName: string, strides: number, padding: UnitPadding): BlockFn {
  const pad = padding === 'torch' ? torchPad(padName, 3) : (x: tf.SymbolicTensor) => x;
  const conv = tf.layers.depthwiseConv2d({
    name,
    kernelSize: 3,
    strides,
    padding: padding === 'torch' ? 'valid' : 'same',
    useBias: false,
  });
  return (x) => applyLayer(conv, pad(x));
}

/** BatchNorm named `name`, with PyTorch's defaults unless `args` says otherwise. */
export function batchNormLayer(name: string, args: BatchNormArgs): BlockFn {
  const layer = batchNorm(name, args);
  return (x) => applyLayer(layer, x);
}

/** ReLU named `name`. */
export function relu(name: string): BlockFn {
  const layer = activationLayer('relu', name);
  return (x) => applyLayer(layer, x);
}

/** Composes block functions left to right. */
export function sequence(...fns: BlockFn[]): BlockFn {
  return (x) => fns.reduce((y, fn) => fn(y), x);
}

/** Throws unless `value` is a positive integer; `fn` and `name` go into the message. */
export function checkPositiveInt(fn: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: \`${name}\` must be a positive integer (got ${name}=${value})`);
  return value;
}

/** Throws unless `padding` is a `UnitPadding`. */
export function checkUnitPadding(fn: string, padding: unknown): UnitPadding {
  if (padding !== 'torch' && padding !== 'same') {
    throw new Error(`${fn}: \`padding\` must be 'torch' or 'same' (got padding=${JSON.stringify(padding)})`);
  }
  return padding;
}

/** Throws unless the symbolic input of unit `name` has `expected` channels. */
export function checkInputChannels(fn: string, name: string, x: tf.SymbolicTensor, expected: number): void {
  const channels = x.shape[x.shape.length - 1];
  if (channels !== expected) {
    throw new Error(
      `${fn} "${name}": the input must have \`inChannels\` channels (got inChannels=${expected}, input channels=${channels})`,
    );
  }
}
