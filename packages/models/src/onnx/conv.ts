import { paddingAmounts, type AxisPadding } from '@netblocks/core';
import { activateValue } from './activations.js';
import {
  configBoolean,
  configNumber,
  configPair,
  configString,
  layerError,
  layerWeights,
  nodeName,
  outputShape,
  requireChannelsLast,
  singleInput,
  spatialSize,
  type LayerContext,
  type LayerConverter,
} from './context.js';
import type { Value } from './graph.js';

/**
 * TF.js's HWIO kernel `[kh, kw, I, O]` as ONNX's OIHW `[O, I, kh, kw]`. A depthwise kernel
 * `[kh, kw, C, m]` is the HWIO kernel `[kh, kw, 1, C * m]` (output channel c * m + j), so the same
 * permutation gives ONNX's grouped-conv weight `[C * m, 1, kh, kw]` with group = C; a grouped
 * kernel `[kh, kw, Cin / g, Cout]` gives `[Cout, Cin / g, kh, kw]` with group = g (both frameworks
 * give output channels [k * Cout / g, (k + 1) * Cout / g) to input group k).
 */
export function hwioToOihw(data: Float32Array, [kh, kw, inC, outC]: readonly [number, number, number, number]): Float32Array {
  const out = new Float32Array(data.length);
  const spatial = kh * kw;
  for (let s = 0; s < spatial; s++) {
    for (let i = 0; i < inC; i++) {
      const from = (s * inC + i) * outC;
      for (let o = 0; o < outC; o++) out[(o * inC + i) * spatial + s] = data[from + o] as number;
    }
  }
  return out;
}

/** A 2-D convolution in ONNX terms, its kernel still in TF.js's HWIO form. */
interface ConvSpec {
  x: Value;
  /** HWIO `[kh, kw, Cin / group, Cout]` (depthwise kernels as `[kh, kw, 1, C * m]`). */
  kernel: Float32Array;
  kernelShape: readonly [number, number, number, number];
  bias: Float32Array | null;
  strides: [number, number];
  dilations: [number, number];
  pads: readonly [AxisPadding, AxisPadding];
  group: number;
  activation: string;
  /** Node and initializer names start with this. */
  base: string;
  /** TF.js output shape. */
  shape: ReadonlyArray<number | null>;
}

/** Conv (NCHW) + bias + activation; the input is brought to NCHW. */
function emitConv(ctx: LayerContext, spec: ConvSpec): Value {
  const { g } = ctx;
  const [kh, kw, , outC] = spec.kernelShape;
  const inputs = [g.nchw(spec.x), g.floats(`${spec.base}/weight`, hwioToOihw(spec.kernel, spec.kernelShape), [outC, spec.kernelShape[2], kh, kw])];
  if (spec.bias !== null) inputs.push(g.floats(`${spec.base}/bias`, spec.bias, [outC]));
  const [[top, bottom], [left, right]] = spec.pads;
  const conv = g.node('Conv', inputs, spec.base, {
    kernel_shape: [kh, kw],
    strides: spec.strides,
    dilations: spec.dilations,
    // ONNX orders pads as [begin of each spatial axis, end of each spatial axis].
    pads: [top, left, bottom, right],
    group: spec.group,
  });
  const value: Value = { name: conv, layout: 'nchw', shape: spec.shape };
  return activateValue(g, value, spec.activation, `${spec.base}/act`, (m) => layerError(ctx, m));
}

/**
 * Explicit zeros before and after each spatial axis for the config's `padding`: 'valid', TF's
 * 'same' (asymmetric, the odd extra at the bottom/right, so it needs the known input size),
 * netblocks' 'torch' (symmetric), or explicit `[[top, bottom], [left, right]]`.
 */
function explicitPads(ctx: LayerContext, x: Value, kernel: [number, number], strides: [number, number], dilations: [number, number]): [AxisPadding, AxisPadding] {
  const padding = ctx.config['padding'];
  if (Array.isArray(padding) && padding.length === 2 && padding.every((p) => Array.isArray(p) && p.length === 2)) {
    const [h, w] = padding as unknown as [AxisPadding, AxisPadding];
    return [h, w];
  }
  if (padding !== 'valid' && padding !== 'same' && padding !== 'torch') {
    throw layerError(ctx, `unsupported padding ${JSON.stringify(padding)} (expected 'valid', 'same', 'torch' or [[top, bottom], [left, right]])`);
  }
  const [height, width] = padding === 'same' ? spatialSize(ctx, x.shape) : [0, 0];
  return [paddingAmounts(padding, height, kernel[0], strides[0], dilations[0]), paddingAmounts(padding, width, kernel[1], strides[1], dilations[1])];
}

const shape4 = (shape: readonly number[]): [number, number, number, number] => [shape[0] ?? 1, shape[1] ?? 1, shape[2] ?? 1, shape[3] ?? 1];

/** tf.layers.conv2d, and netblocks' GroupConv2D (same weights, plus `groups`). */
const convertConv2D: LayerConverter = (ctx) => {
  requireChannelsLast(ctx);
  const x = singleInput(ctx);
  const useBias = configBoolean(ctx, 'useBias', true);
  const [kernel, bias] = layerWeights(ctx, useBias ? ['kernel', 'bias'] : ['kernel']);
  if (kernel === undefined) throw layerError(ctx, 'has no kernel');
  const kernelShape = shape4(kernel.shape);
  const strides = configPair(ctx, 'strides', 1);
  const dilations = configPair(ctx, 'dilationRate', 1);
  return emitConv(ctx, {
    x,
    kernel: kernel.data,
    kernelShape,
    bias: bias?.data ?? null,
    strides,
    dilations,
    pads: explicitPads(ctx, x, [kernelShape[0], kernelShape[1]], strides, dilations),
    group: ctx.className === 'NetblocksGroupConv2D' ? configNumber(ctx, 'groups') : 1,
    activation: configString(ctx, 'activation', 'linear'),
    base: nodeName(ctx),
    shape: outputShape(ctx),
  });
};

/** The depthwise part of tf.layers.depthwiseConv2d and netblocks' depthwise and separable convs:
 * an ONNX Conv with group = C. */
function depthwiseSpec(ctx: LayerContext, x: Value, kernel: { data: Float32Array; shape: readonly number[] }): Omit<ConvSpec, 'bias' | 'activation' | 'base' | 'shape'> {
  const [kh, kw, channels, multiplier] = shape4(kernel.shape);
  const strides = configPair(ctx, 'strides', 1);
  const dilations = configPair(ctx, 'dilationRate', 1);
  return {
    x,
    kernel: kernel.data,
    kernelShape: [kh, kw, 1, channels * multiplier],
    strides,
    dilations,
    pads: explicitPads(ctx, x, [kh, kw], strides, dilations),
    group: channels,
  };
}

/** tf.layers.depthwiseConv2d and NetblocksDepthwiseConv2D (weights `depthwise_kernel`, `bias`). */
const convertDepthwiseConv2D: LayerConverter = (ctx) => {
  requireChannelsLast(ctx);
  const x = singleInput(ctx);
  const useBias = configBoolean(ctx, 'useBias', ctx.className === 'DepthwiseConv2D');
  const [kernel, bias] = layerWeights(ctx, useBias ? ['depthwise_kernel', 'bias'] : ['depthwise_kernel']);
  if (kernel === undefined) throw layerError(ctx, 'has no kernel');
  return emitConv(ctx, {
    ...depthwiseSpec(ctx, x, kernel),
    bias: bias?.data ?? null,
    activation: configString(ctx, 'activation', 'linear'),
    base: nodeName(ctx),
    shape: outputShape(ctx),
  });
};

/** NetblocksSeparableConv2D: the depthwise conv (strides, padding, dilation), then the pointwise
 * 1x1 conv with the bias and activation. */
const convertSeparableConv2D: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const useBias = configBoolean(ctx, 'useBias');
  const [depthwise, pointwise, bias] = layerWeights(ctx, useBias ? ['depthwise_kernel', 'pointwise_kernel', 'bias'] : ['depthwise_kernel', 'pointwise_kernel']);
  if (depthwise === undefined || pointwise === undefined) throw layerError(ctx, 'has no kernels');
  const out = outputShape(ctx);
  const spec = depthwiseSpec(ctx, x, depthwise);
  const mid = spec.kernelShape[3];
  const middle = emitConv(ctx, { ...spec, bias: null, activation: 'linear', base: nodeName(ctx, 'depthwise'), shape: [out[0] ?? null, out[1] ?? null, out[2] ?? null, mid] });
  return emitConv(ctx, {
    x: middle,
    kernel: pointwise.data,
    kernelShape: shape4(pointwise.shape),
    bias: bias?.data ?? null,
    strides: [1, 1],
    dilations: [1, 1],
    pads: [
      [0, 0],
      [0, 0],
    ],
    group: 1,
    activation: configString(ctx, 'activation', 'linear'),
    base: nodeName(ctx),
    shape: out,
  });
};

/** NetblocksFusedConv2D (optimizeForInference's conv with BN folded in): explicit padding,
 * `kernel` HWIO or depthwise `[kh, kw, C, m]`, always a `bias`, then the activation. */
const convertFusedConv2D: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const [kernel, bias] = layerWeights(ctx, ['kernel', 'bias']);
  if (kernel === undefined || bias === undefined) throw layerError(ctx, 'has no kernel');
  const rest = { bias: bias.data, activation: configString(ctx, 'activation', 'linear'), base: nodeName(ctx), shape: outputShape(ctx) };
  if (configBoolean(ctx, 'depthwise')) return emitConv(ctx, { ...depthwiseSpec(ctx, x, kernel), ...rest });
  const kernelShape = shape4(kernel.shape);
  const strides = configPair(ctx, 'strides', 1);
  const dilations = configPair(ctx, 'dilationRate', 1);
  const pads = explicitPads(ctx, x, [kernelShape[0], kernelShape[1]], strides, dilations);
  return emitConv(ctx, { x, kernel: kernel.data, kernelShape, strides, dilations, pads, group: 1, ...rest });
};

/** core's NetblocksDilatedConv2D: a dense conv (weights `kernel`, `bias`) or, when `depthwise`, a
 * depthwise one (`depthwise_kernel`, `bias`), with `dilationRate` as ONNX Conv's `dilations`. */
const convertDilatedConv2D: LayerConverter = (ctx) => (configBoolean(ctx, 'depthwise', false) ? convertDepthwiseConv2D(ctx) : convertConv2D(ctx));

export const CONV_CONVERTERS: Record<string, LayerConverter> = {
  Conv2D: convertConv2D,
  NetblocksGroupConv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  NetblocksDepthwiseConv2D: convertDepthwiseConv2D,
  NetblocksSeparableConv2D: convertSeparableConv2D,
  NetblocksFusedConv2D: convertFusedConv2D,
  NetblocksDilatedConv2D: convertDilatedConv2D,
};
