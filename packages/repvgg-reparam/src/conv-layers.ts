import type * as tf from '@tensorflow/tfjs';
import { DilatedConv2D } from '@netblocks/core';
import { GroupConv2D } from '@netblocks/group-conv';

export { cloneLayer } from '@netblocks/core';

/** What a fusion rule needs to know about a 2-D conv layer (Conv2D, DepthwiseConv2D, GroupConv2D, or
 * core's DilatedConv2D, dense or depthwise). */
export interface ConvLayerInfo {
  layer: tf.layers.Layer;
  /** Which of the three. */
  type: 'conv2d' | 'depthwiseConv2d' | 'groupConv2d';
  /** Side of its square kernel. */
  kernelSize: number;
  /** Its stride, the same on both axes. */
  strides: number;
  /** Its dilation, the same on both axes (1 for the stock DepthwiseConv2D, whose TF.js call ignores it). */
  dilation: number;
  /** Channel groups: 1 for Conv2D, the input channels for DepthwiseConv2D. */
  groups: number;
  /** Zero padding it applies itself on every side, or null when that depends on the input size
   * (TF's `'same'` at stride > 1 with a kernel wider than 1). */
  ownPadding: number | null;
  /** The kernel (the layer's own tensor: don't dispose): HWIO, or `[k, k, C, multiplier]` for depthwise. */
  kernel: tf.Tensor4D;
  /** The bias, when it has one (the layer's own tensor). */
  bias: tf.Tensor1D | undefined;
}

type ConfigValue = tf.serialization.ConfigDictValue;

/** `v` when it is `n` or `[n, n]`, else null. */
function squareValue(v: ConfigValue | undefined): number | null {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && v[0] === v[1]) return v[0];
  return null;
}

/** Per-side padding of a `'valid'`, `'same'` or `'torch'` conv with an odd square kernel, or null when it depends on the input. */
function paddingOf(mode: ConfigValue | undefined, kernelSize: number, strides: number, dilation: number): number | null {
  if (mode === 'valid' || kernelSize === 1) return 0;
  if (kernelSize % 2 === 0) return null;
  if (mode === 'torch' || (mode === 'same' && strides === 1)) return (dilation * (kernelSize - 1)) / 2;
  return null;
}

/** Which kind of conv `layer` is, or null for a layer that is none of them. */
function convType(layer: tf.layers.Layer): ConvLayerInfo['type'] | null {
  if (layer instanceof GroupConv2D) return 'groupConv2d';
  if (layer instanceof DilatedConv2D) return layer.resolved.depthwise ? 'depthwiseConv2d' : 'conv2d';
  const className = layer.getClassName();
  return className === 'Conv2D' ? 'conv2d' : className === 'DepthwiseConv2D' ? 'depthwiseConv2d' : null;
}

/**
 * Describes `layer` when it is a linear (no activation), channels-last 2-D conv with a square odd
 * kernel, equal strides and equal dilations (what BN folding and branch fusion can handle), else
 * null. A dilated stock DepthwiseConv2D is not described: TF.js's layer ignores its `dilationRate`,
 * so what it computes and what its config says differ (core's DilatedConv2D does dilate).
 */
export function describeConv(layer: tf.layers.Layer): ConvLayerInfo | null {
  const type = convType(layer);
  if (type === null || !layer.built) return null;
  const config = layer.getConfig();
  const kernelSize = squareValue(config['kernelSize']);
  const strides = squareValue(config['strides']);
  const dilation = squareValue(config['dilationRate'] ?? 1);
  const ignoresDilation = layer.getClassName() === 'DepthwiseConv2D' && dilation !== 1;
  if (kernelSize === null || strides === null || dilation === null || ignoresDilation) return null;
  if ((config['activation'] ?? 'linear') !== 'linear' || (config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return null;
  const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
  let groups = 1;
  if (type === 'groupConv2d') groups = (layer as GroupConv2D).resolved.groups;
  else if (type === 'depthwiseConv2d') groups = kernel.shape[2];
  else if (config['groups'] !== undefined && config['groups'] !== 1) return null;
  return { layer, type, kernelSize, strides, dilation, groups, ownPadding: paddingOf(config['padding'], kernelSize, strides, dilation), kernel, bias };
}

/** Per-side padding of a channels-last `ZeroPadding2D` that pads all four sides equally, else null. */
export function uniformZeroPadding(layer: tf.layers.Layer): number | null {
  if (layer.getClassName() !== 'ZeroPadding2D') return null;
  const config = layer.getConfig();
  if ((config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return null;
  const padding = config['padding'];
  const flat = Array.isArray(padding) ? padding.flat() : [padding];
  const first = flat[0];
  return typeof first === 'number' && flat.length === 4 && flat.every((p) => p === first) ? first : null;
}
