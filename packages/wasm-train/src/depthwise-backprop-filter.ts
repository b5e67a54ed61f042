import * as tf from '@tensorflow/tfjs';
import { explicitPad, pair, shape4 } from './conv-attrs.js';
import type { ConvPad } from './conv-attrs.js';
import { withKernelScope } from './kernel-scope.js';
import { fitAxis, keepsAll } from './padding.js';

/** Attributes of `DepthwiseConv2dNativeBackpropFilter`, as tfjs-core's op passes them. */
interface DepthwiseBackpropFilterAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * dW[i, j, c, q] = sum over (n, yo, xo) of x[n, yo*sh + i*dh - top, xo*sw + j*dw - left, c] * dy[n, yo, xo, c*m + q].
 *
 * Per channel this is a correlation of x with dy, summed over the batch. Moving the batch into the
 * channel axis makes it one depthwise convolution: the input is x laid out as [1, H, W, N*C], the
 * filter is dy laid out as [Ho, Wo, N*C, m] and dilated by the forward stride, the output steps by
 * the forward dilation, and [1, kh, kw, N*C*m] summed over N is dW.
 */
export function depthwiseBackpropFilterWasm({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { strides, pad, dilations, dimRoundingMode, filterShape } = attrs as unknown as DepthwiseBackpropFilterAttrs;
  return withKernelScope(backend, (scope) => {
    const x = inputs['x'] as tf.TensorInfo;
    const dy = inputs['dy'] as tf.TensorInfo;
    const [batch, height, width, channels] = shape4(x, 'x');
    const [dh, dw] = pair(dilations);
    const [sh, sw] = pair(strides);
    const info = tf.backend_util.computeConv2DInfo(shape4(x, 'x'), filterShape, strides, [dh, dw], pad, dimRoundingMode, true);
    const [kh, kw, , multiplier] = filterShape;
    const { outHeight, outWidth } = info;
    const rows = fitAxis(height, info.padInfo.top, (outHeight - 1) * sh + 1, dh, kh);
    const cols = fitAxis(width, info.padInfo.left, (outWidth - 1) * sw + 1, dw, kw);
    let input = x;
    if (!keepsAll(rows, height) || !keepsAll(cols, width)) {
      input = scope.slice(x, [0, rows.crop[0], cols.crop[0], 0], [batch, rows.crop[1], cols.crop[1], channels]);
    }
    const images = scope.reshape(scope.transpose(input, [1, 2, 0, 3]), [1, rows.crop[1], cols.crop[1], batch * channels]);
    const kernel = scope.reshape(scope.transpose(dy, [1, 2, 0, 3]), [outHeight, outWidth, batch * channels, multiplier]);
    const perImage = scope.run(
      'DepthwiseConv2dNative',
      { x: images, filter: kernel },
      { strides: [dh, dw], dilations: [sh, sw], pad: explicitPad(rows.pad[0], rows.pad[1], cols.pad[0], cols.pad[1]) },
    ); // [1, kh, kw, N*C*m]
    if (batch === 1) return scope.reshape(perImage, filterShape);
    const summed = scope.sum(scope.reshape(perImage, [kh * kw, batch, channels * multiplier]), 1);
    return scope.reshape(summed, filterShape);
  });
}
