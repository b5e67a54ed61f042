import * as tf from '@tensorflow/tfjs';
import { applyActivation, checkActivation, fusedActivation, type ActivationName } from './activations.js';
import { registerDilatedGradients, spreadKernel } from './dilated-gradients.js';
import { positivePair, type SizePair } from './math.js';

/** TF.js's explicit padding: `[[0, 0], [top, bottom], [left, right], [0, 0]]` (NHWC). */
export type TfExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Padding as TF.js's conv ops take it. */
export type ConvPad = 'same' | 'valid' | number | TfExplicitPadding;

export interface Convolve2dArgs {
  /** The NHWC input. */
  x: tf.Tensor4D;
  /** HWIO kernel `[kh, kw, Cin, Cout]`, or `[kh, kw, Cin, m]` when `depthwise`. */
  filter: tf.Tensor4D;
  /** Stride, one number or `[height, width]`. Default 1. */
  strides?: SizePair;
  /** `'same'`, `'valid'`, a number, or explicit `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
  pad: ConvPad;
  /** Dilation, one number or `[height, width]`. Default 1. */
  dilations?: SizePair;
  /** Added to every output channel (`[Cout]`, or `[Cin * m]` when depthwise). Default none. */
  bias?: tf.Tensor1D | null;
  /** Applied last; fused into the kernel where TF.js can. Default `'linear'`. */
  activation?: ActivationName | null;
  /** A depthwise conv (`tf.depthwiseConv2d`) instead of a dense one. Default false. */
  depthwise?: boolean;
}

/**
 * One 2-D convolution (dense or depthwise) with optional bias and activation: the one place netblocks
 * chooses between TF.js's fused kernel and the separate ops, so that dilated convs both infer fast
 * and train on every backend. It
 * - uses `tf.fused.conv2d` / `tf.fused.depthwiseConv2d` when there is a bias or an activation to
 *   fuse (an activation TF.js cannot fuse, such as swish, follows as element-wise ops), except for a dilated conv under a gradient tape (TF.js's fused gradient rejects dilation
 *   > 1): that one runs conv, bias add and activation as separate ops, whose gradients
 *   `registerDilatedGradients` (called here) provides;
 * - computes a conv with both strides and dilation above 1 (which TF.js's kernels reject) as the
 *   undilated conv with the spread kernel (`spreadKernel`), whose extent, and so padding, is the same.
 */
export function convolve2d(args: Convolve2dArgs): tf.Tensor4D {
  const { x, pad, depthwise = false } = args;
  const strides = positivePair('convolve2d', 'strides', args.strides ?? 1);
  const dilations = positivePair('convolve2d', 'dilations', args.dilations ?? 1);
  const activation = checkActivation(args.activation ?? 'linear');
  const bias = args.bias ?? undefined;
  const spread = (strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1);
  const rates: [number, number] = spread ? [1, 1] : dilations;
  const dilated = rates[0] > 1 || rates[1] > 1;
  if (dilated) registerDilatedGradients();
  return tf.tidy(() => {
    const filter = spread ? spreadKernel(args.filter, dilations) : args.filter;
    // The activation TF.js fuses, else 'linear' and the activation after (swish, gelu, ...).
    const fused = fusedActivation(activation);
    const inKernel = fused ?? 'linear';
    if ((bias !== undefined || inKernel !== 'linear') && !(dilated && tf.engine().state.gradientDepth > 0)) {
      const fusedArgs = { x, filter, strides, pad, dilations: rates, bias, activation: inKernel };
      // TF.js's fused depthwise op takes explicit padding at run time (conv_util) though its typings omit it.
      const y = depthwise
        ? tf.fused.depthwiseConv2d(fusedArgs as unknown as Parameters<typeof tf.fused.depthwiseConv2d<tf.Tensor4D>>[0])
        : tf.fused.conv2d(fusedArgs);
      return fused === undefined ? (applyActivation(y, activation) as tf.Tensor4D) : y;
    }
    const y = depthwise ? tf.depthwiseConv2d(x, filter, strides, pad, 'NHWC', rates) : tf.conv2d(x, filter, strides, pad, 'NHWC', rates);
    return applyActivation(bias === undefined ? y : tf.add(y, bias), activation) as tf.Tensor4D;
  });
}
