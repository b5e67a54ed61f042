import * as tf from '@tensorflow/tfjs';
import { checkActivation, convolve2d, positivePair, type ActivationName, type SizePair, type TfExplicitPadding } from '@netblocks/core';
import { checkPadding, explicitPadding, outputLength, type ConvPadding } from './geometry.js';

/** Options of `depthwiseConv2d` and `separableConv2d`. */
export interface DepthwiseConv2dOptions {
  /** Stride of the depthwise conv, one number or `[height, width]`. Default 1. */
  strides?: SizePair;
  /** `'torch'` (symmetric, as PyTorch's `padding=(k-1)/2*dilation`), `'same'` (TF's rule),
   * `'valid'`, or explicit zeros `[[top, bottom], [left, right]]`. Default `'torch'`. */
  padding?: ConvPadding;
  /** Dilation of the depthwise kernel, one number or `[height, width]`. Default 1. */
  dilation?: SizePair;
  /** Added to every output channel: `[Cin * m]` for `depthwiseConv2d`, `[Cout]` for
   * `separableConv2d`. Default none. */
  bias?: tf.Tensor1D | null;
  /** Activation applied last (fused into the kernel where TF.js can). Default `'linear'`. */
  activation?: ActivationName | null;
}

function shapeOf(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

function checkRank4(fn: string, name: string, t: tf.Tensor): void {
  if (t.rank !== 4) throw new Error(`${fn}: \`${name}\` must be rank 4 (got ${name}.shape=${shapeOf(t)})`);
}

function checkBias(fn: string, bias: tf.Tensor1D | null | undefined, channels: number): void {
  if (bias != null && (bias.rank !== 1 || bias.shape[0] !== channels)) {
    throw new Error(`${fn}: \`bias\` must hold one value per output channel (got bias.shape=${shapeOf(bias)}, channels=${channels})`);
  }
}

/**
 * Depthwise convolution, NHWC: every input channel `c` is convolved with its own `m` kernels
 * `filter[:, :, c, q]`, giving output channel `c * m + q` (TF's order; PyTorch's grouped conv with
 * `groups = Cin` orders them the same way). `filter` is `[kh, kw, Cin, m]`.
 *
 * Padding is numeric (no separate pad op): `'torch'` pads `dilation * (k - 1) / 2` zeros on every
 * side, so at stride 2 on an even input the output matches PyTorch, where TF's `'same'` does not.
 * Strides and dilation may both exceed 1, and dilated kernels train (core's `convolve2d`).
 */
export function depthwiseConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, options: DepthwiseConv2dOptions = {}): tf.Tensor4D {
  const fn = 'depthwiseConv2d';
  checkRank4(fn, 'x', x);
  checkRank4(fn, 'filter', filter);
  const [kh, kw, inChannels, multiplier] = filter.shape;
  if (x.shape[3] !== inChannels) {
    throw new Error(
      `${fn}: \`filter\` must be [kh, kw, Cin, m] with Cin the input channels (got filter.shape=${shapeOf(filter)}, x.shape=${shapeOf(x)})`,
    );
  }
  const kernelSize: [number, number] = [kh, kw];
  const strides = positivePair(fn, 'strides', options.strides ?? 1);
  const dilation = positivePair(fn, 'dilation', options.dilation ?? 1);
  const padding = checkPadding(fn, options.padding ?? 'torch', kernelSize, dilation);
  checkBias(fn, options.bias, inChannels * multiplier);
  const activation = checkActivation(options.activation ?? 'linear');
  // Checks that the padded input is no smaller than the kernel, naming the sizes.
  outputLength(fn, 0, x.shape[1], padding, kernelSize, strides, dilation);
  outputLength(fn, 1, x.shape[2], padding, kernelSize, strides, dilation);
  const [[top, bottom], [left, right]] = explicitPadding(padding, [x.shape[1], x.shape[2]], kernelSize, strides, dilation);
  const pad: TfExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
  return convolve2d({ x, filter, strides, pad, dilations: dilation, bias: options.bias, activation, depthwise: true });
}

/**
 * Depthwise-separable convolution (Xception's `SeparableConv2d`, MobileNet's factorized conv): the
 * depthwise conv `depthwiseFilter` `[kh, kw, Cin, m]`, then at once the pointwise (1x1) conv
 * `pointwiseFilter` `[1, 1, Cin * m, Cout]`, with nothing between them. `strides`, `padding` and
 * `dilation` belong to the depthwise conv; `bias` (`[Cout]`) and `activation` to the pointwise one.
 */
export function separableConv2d(
  x: tf.Tensor4D,
  depthwiseFilter: tf.Tensor4D,
  pointwiseFilter: tf.Tensor4D,
  options: DepthwiseConv2dOptions = {},
): tf.Tensor4D {
  const fn = 'separableConv2d';
  checkRank4(fn, 'depthwiseFilter', depthwiseFilter);
  checkRank4(fn, 'pointwiseFilter', pointwiseFilter);
  const [, , inChannels, multiplier] = depthwiseFilter.shape;
  const [ph, pw, pointwiseIn, outChannels] = pointwiseFilter.shape;
  if (ph !== 1 || pw !== 1 || pointwiseIn !== inChannels * multiplier) {
    throw new Error(
      `${fn}: \`pointwiseFilter\` must be [1, 1, Cin * m, Cout] = [1, 1, ${inChannels * multiplier}, Cout] ` +
        `(got pointwiseFilter.shape=${shapeOf(pointwiseFilter)}, depthwiseFilter.shape=${shapeOf(depthwiseFilter)})`,
    );
  }
  checkBias(fn, options.bias, outChannels);
  const activation = checkActivation(options.activation ?? 'linear');
  const { strides, padding, dilation } = options;
  return tf.tidy(() => {
    const depthwise = depthwiseConv2d(x, depthwiseFilter, { strides, padding, dilation });
    return convolve2d({ x: depthwise, filter: pointwiseFilter, pad: 'valid', bias: options.bias, activation });
  });
}
