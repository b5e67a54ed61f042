import * as tf from '@tensorflow/tfjs';
import { explicitPad, pair, shape4 } from './conv-attrs.js';
import type { ConvPad } from './conv-attrs.js';
import { withKernelScope } from './kernel-scope.js';
import type { KernelScope } from './kernel-scope.js';
import { fitAxis, keepsAll } from './padding.js';

/** Attributes of `Conv2DBackpropFilter`, as tfjs-core's `conv2DBackpropFilter` op passes them. */
interface Conv2DBackpropFilterAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** NCHW tensors go through the NHWC path: the wasm convolutions are channels-last only. */
function channelsLast(scope: KernelScope, t: tf.TensorInfo, dataFormat: string | undefined): tf.TensorInfo {
  return dataFormat === 'NCHW' ? scope.transpose(t, [0, 2, 3, 1]) : t;
}

/**
 * dW[i, j, ci, co] = sum over (n, yo, xo) of x[n, yo*sh + i - top, xo*sw + j - left, ci] * dy[n, yo, xo, co].
 *
 * That sum is itself a convolution in which the batch is the reduced channel axis: the input is x
 * laid out as [Ci, H, W, N] (Ci images of N channels), the filter is dy laid out as [Ho, Wo, N, Co]
 * and dilated by the forward stride, and the output [Ci, kh, kw, Co] is dW with its axes rotated.
 * So the gradient is one XNNPACK convolution between transposes.
 */
export function conv2DBackpropFilterWasm({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  return withKernelScope(backend, (scope) => {
    const x = channelsLast(scope, inputs['x'] as tf.TensorInfo, dataFormat);
    const dy = channelsLast(scope, inputs['dy'] as tf.TensorInfo, dataFormat);
    const [batch, height, width] = shape4(x, 'x');
    const info = tf.backend_util.computeConv2DInfo(shape4(x, 'x'), filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const [kh, kw, inChannels, outChannels] = filterShape;
    const [sh, sw] = pair(strides);
    const { outHeight, outWidth } = info;
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && outHeight === height && outWidth === width) {
      // A 1x1 conv at stride 1: dW = x^T dy over all N*H*W positions, one matrix product. The
      // explicit transpose is several times faster than the wasm BatchMatMul's transposeA path.
      const xT = scope.transpose(scope.reshape(x, [batch * height * width, inChannels]), [1, 0]);
      const x2 = scope.reshape(xT, [1, inChannels, batch * height * width]);
      const dy2 = scope.reshape(dy, [1, batch * outHeight * outWidth, outChannels]);
      const product = scope.run('BatchMatMul', { a: x2, b: dy2 }, { transposeA: false, transposeB: false });
      return scope.reshape(product, filterShape);
    }
    // The dy "filter" spans (Ho - 1) * sh + 1 rows; it steps one row at a time over kh output rows.
    const rows = fitAxis(height, info.padInfo.top, (outHeight - 1) * sh + 1, 1, kh);
    const cols = fitAxis(width, info.padInfo.left, (outWidth - 1) * sw + 1, 1, kw);
    let input = x;
    if (!keepsAll(rows, height) || !keepsAll(cols, width)) {
      input = scope.slice(x, [0, rows.crop[0], cols.crop[0], 0], [batch, rows.crop[1], cols.crop[1], inChannels]);
    }
    const images = scope.transpose(input, [3, 1, 2, 0]); // [Ci, H, W, N]
    const kernel = scope.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    const rotated = scope.run(
      'Conv2D',
      { x: images, filter: kernel },
      { strides: [1, 1], dilations: [sh, sw], pad: explicitPad(rows.pad[0], rows.pad[1], cols.pad[0], cols.pad[1]), dataFormat: 'NHWC' },
    ); // [Ci, kh, kw, Co]
    return scope.transpose(rotated, [1, 2, 0, 3]);
  });
}
