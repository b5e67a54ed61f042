import * as tf from '@tensorflow/tfjs';
import { applyActivation, convolve2d, paddingAmounts, positivePair, type PaddingMode } from '@netblocks/core';
import { chooseStrategy } from './choose-strategy.js';
import { STRATEGIES, type GroupConvGeometry, type GroupConvStrategy } from './strategies.js';

/** Activations fused into the grouped conv's output. */
export type GroupConvActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid';

const ACTIVATIONS: readonly GroupConvActivation[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid'];

export interface GroupConv2dOptions {
  /** Number of groups G: input and output channels are split into G groups convolved separately. */
  groups: number;
  /** Stride, one number or [height, width]. Default 1. */
  strides?: number | [number, number];
  /** `'torch'` (symmetric, PyTorch's `padding=dilation*(k-1)//2`), `'same'`, `'valid'`, or explicit
   * `[[top, bottom], [left, right]]`. Default `'torch'`. */
  padding?: PaddingMode | [[number, number], [number, number]];
  /** Dilation, one number or [height, width]. Default 1. */
  dilation?: number | [number, number];
  /** Per-output-channel bias `[Cout]`. Default none. */
  bias?: tf.Tensor1D;
  /** Activation applied last. Default `'linear'`. */
  activation?: GroupConvActivation;
  /** How to compute it (see `GroupConvStrategy`); `'auto'` picks per shape and backend. Default `'auto'`. */
  strategy?: GroupConvStrategy | 'auto';
}

/** Checks the shapes and options and resolves the geometry every strategy shares. */
export function resolveGroupConvGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  options: GroupConv2dOptions,
): GroupConvGeometry {
  const { groups } = options;
  if (xShape.length !== 4) throw new Error(`groupConv2d: \`x\` must be rank 4 NHWC (got shape [${xShape}])`);
  if (filterShape.length !== 4) {
    throw new Error(`groupConv2d: \`filter\` must be rank 4 [kh, kw, Cin/groups, Cout] (got shape [${filterShape}])`);
  }
  const cin = xShape[3] as number;
  const [kh, kw, cg, cout] = filterShape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`groupConv2d: \`groups\` must be a positive integer (got groups=${groups})`);
  if (cin % groups !== 0 || cout % groups !== 0) {
    throw new Error(`groupConv2d: \`groups\` must divide the input and output channels (got Cin=${cin}, Cout=${cout}, groups=${groups})`);
  }
  if (cg * groups !== cin) {
    throw new Error(`groupConv2d: \`filter\` must have Cin/groups = ${cin / groups} input channels (got filter shape [${filterShape}], Cin=${cin}, groups=${groups})`);
  }
  const strides = positivePair('groupConv2d', 'strides', options.strides ?? 1);
  const dilations = positivePair('groupConv2d', 'dilation', options.dilation ?? 1);
  const padding = options.padding ?? 'torch';
  let pad: GroupConvGeometry['pad'];
  if (padding === 'same' || padding === 'valid') {
    pad = padding;
  } else if (padding === 'torch' || Array.isArray(padding)) {
    const [top, bottom] = Array.isArray(padding) ? padding[0] : paddingAmounts('torch', xShape[1] as number, kh, strides[0], dilations[0]);
    const [left, right] = Array.isArray(padding) ? padding[1] : paddingAmounts('torch', xShape[2] as number, kw, strides[1], dilations[1]);
    pad = [[0, 0], [top, bottom], [left, right], [0, 0]];
  } else {
    throw new Error(`groupConv2d: \`padding\` must be 'torch', 'same', 'valid' or [[top, bottom], [left, right]] (got padding=${JSON.stringify(padding)})`);
  }
  return { groups, strides, dilations, pad };
}

/**
 * Grouped 2-D convolution (ResNeXt, ShuffleNet, RepVGG-gN; AlexNet's original two-GPU split), NHWC.
 * `filter` is `[kh, kw, Cin/groups, Cout]` (PyTorch's `[Cout, Cin/groups, kh, kw]` transposed to HWIO):
 * output channel `o` of group `g = floor(o / (Cout/G))` sees only input channels
 * `g*Cin/G .. (g+1)*Cin/G - 1`. groups = 1 is a plain conv; groups = Cin = Cout a depthwise conv.
 */
export function groupConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, options: GroupConv2dOptions): tf.Tensor4D {
  const geo = resolveGroupConvGeometry(x.shape, filter.shape, options);
  const activation = options.activation ?? 'linear';
  if (!ACTIVATIONS.includes(activation)) {
    throw new Error(`groupConv2d: \`activation\` must be one of ${ACTIVATIONS.join(', ')} (got activation=${JSON.stringify(activation)})`);
  }
  const { bias } = options;
  const cout = filter.shape[3];
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout)) {
    throw new Error(`groupConv2d: \`bias\` must have shape [${cout}] (got [${bias.shape}])`);
  }
  const requested = options.strategy ?? 'auto';
  if (requested !== 'auto' && !(requested in STRATEGIES)) {
    throw new Error(`groupConv2d: \`strategy\` must be 'auto', ${Object.keys(STRATEGIES).map((s) => `'${s}'`).join(', ')} (got strategy=${JSON.stringify(requested)})`);
  }
  return tf.tidy(() => {
    const [, , cg] = filter.shape;
    const conv = { x, strides: geo.strides, pad: geo.pad, dilations: geo.dilations, bias, activation };
    if (geo.groups === 1) return convolve2d({ ...conv, filter });
    if (cg === 1 && cout === geo.groups && requested === 'auto') {
      // One input and one output channel per group: exactly a depthwise conv, bias and activation fused.
      return convolve2d({ ...conv, filter: tf.reshape(filter, [filter.shape[0], filter.shape[1], cout, 1]), depthwise: true });
    }
    const strategy = requested === 'auto' ? chooseStrategy(x.shape, filter.shape, geo, tf.getBackend()) : requested;
    let y: tf.Tensor4D = STRATEGIES[strategy](x, filter, geo);
    if (bias) y = tf.add(y, bias);
    return applyActivation(y, activation) as tf.Tensor4D;
  });
}
