import type * as tf from '@tensorflow/tfjs';
import { DilatedConv2D, paddingAmounts, samePadding, type ActivationName, type AxisPadding } from '@netblocks/core';
import { NetblocksDepthwiseConv2D } from '@netblocks/depthwise-sep';
import { GroupConv2D } from '@netblocks/group-conv';

type Pair = [number, number];
type ConfigValue = tf.serialization.ConfigDictValue;

/**
 * A conv layer of the original model as the optimizer sees it: its weights in TF layout, its
 * geometry, and the explicit padding it applies to an input of the size it is called on.
 */
export interface ConvSource {
  layer: tf.layers.Layer;
  /** `dense` (HWIO kernel), `depthwise` (`[kh, kw, C, m]`) or `group` (`[kh, kw, Cin/G, Cout]`). */
  kind: 'dense' | 'depthwise' | 'group';
  groups: number;
  filters: number;
  kernelSize: Pair;
  strides: Pair;
  dilationRate: Pair;
  /** `[[top, bottom], [left, right]]` the layer pads by itself. */
  padding: [AxisPadding, AxisPadding];
  /** The activation the layer already applies. */
  activation: ActivationName;
  /** The layer's own tensors (don't dispose). */
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D | undefined;
}

function pair(v: ConfigValue | undefined, fallback: number): Pair | null {
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  return null;
}

const ACTIVATION_NAMES: ReadonlySet<string> = new Set(['relu', 'relu6', 'swish', 'sigmoid', 'hardSigmoid', 'gelu', 'tanh', 'elu', 'linear']);

/** The netblocks name of a TF.js activation config value, or null for one netblocks doesn't know. */
export function activationName(value: ConfigValue | undefined): ActivationName | null {
  const name = value ?? 'linear';
  return typeof name === 'string' && ACTIVATION_NAMES.has(name) ? (name as ActivationName) : null;
}

/** Explicit padding of a conv called on an input of `[H, W]`, or null when it can't be known. */
function explicitPadding(mode: ConfigValue | undefined, size: readonly (number | null)[], k: Pair, s: Pair, d: Pair): [AxisPadding, AxisPadding] | null {
  const axis = (i: 0 | 1): AxisPadding | null => {
    if (Array.isArray(mode)) {
      const p = mode[i];
      return Array.isArray(p) && p.length === 2 && typeof p[0] === 'number' && typeof p[1] === 'number' ? [p[0], p[1]] : null;
    }
    if (mode === 'same') {
      const length = size[i];
      return length == null ? null : samePadding(length, k[i], s[i], d[i]);
    }
    if (mode === 'valid' || mode === 'torch') return paddingAmounts(mode, size[i] ?? 0, k[i], s[i], d[i]);
    return null;
  };
  const [h, w] = [axis(0), axis(1)];
  return h === null || w === null ? null : [h, w];
}

/** Which kind of conv `layer` is, or null for a layer the optimizer doesn't rebuild. */
function convKind(layer: tf.layers.Layer): ConvSource['kind'] | null {
  if (layer instanceof GroupConv2D) return 'group';
  // core's DilatedConv2D (the dilated convs of blocks and models), dense or depthwise.
  if (layer instanceof DilatedConv2D) return layer.resolved.depthwise ? 'depthwise' : 'dense';
  if (layer instanceof NetblocksDepthwiseConv2D) return 'depthwise';
  const className = layer.getClassName();
  return className === 'Conv2D' ? 'dense' : className === 'DepthwiseConv2D' ? 'depthwise' : null;
}

/** Describes `layer` when it is a channels-last 2-D conv the optimizer can rebuild, else null. */
export function describeConvSource(layer: tf.layers.Layer, inputShape: readonly (number | null)[]): ConvSource | null {
  const kind = convKind(layer);
  if (kind === null || !layer.built || inputShape.length !== 4) return null;
  const config = layer.getConfig();
  if ((config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return null;
  const kernelSize = pair(config['kernelSize'], 1);
  const strides = pair(config['strides'], 1);
  const dilationRate = pair(config['dilationRate'], 1);
  // TF.js's stock DepthwiseConv2D ignores its dilationRate: folding would start computing it.
  if (layer.getClassName() === 'DepthwiseConv2D' && dilationRate !== null && (dilationRate[0] > 1 || dilationRate[1] > 1)) return null;
  const activation = activationName(config['activation']);
  if (kernelSize === null || strides === null || dilationRate === null || activation === null) return null;
  const padding = explicitPadding(config['padding'], inputShape.slice(1, 3), kernelSize, strides, dilationRate);
  if (padding === null) return null;
  const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
  const channels = kernel.shape[2];
  const groups = kind === 'group' ? (layer as GroupConv2D).resolved.groups : kind === 'depthwise' ? channels : 1;
  const filters = kind === 'depthwise' ? channels * kernel.shape[3] : kernel.shape[3];
  return { layer, kind, groups, filters, kernelSize, strides, dilationRate, padding, activation, kernel, bias };
}
