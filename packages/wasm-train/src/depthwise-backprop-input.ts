import * as tf from '@tensorflow/tfjs';
import { explicitPad, pair, shape4 } from './conv-attrs.js';
import type { ConvPad } from './conv-attrs.js';
import { withKernelScope } from './kernel-scope.js';
import { fitAxis, keepsAll } from './padding.js';

/** Attributes of `DepthwiseConv2dNativeBackpropInput`, as tfjs-core's op passes them. */
interface DepthwiseBackpropInputAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * dx[n, h, w, c] = sum over (i, j, q) of up[n, h + top - i*dh, w + left - j*dw, c*m + q] * f[i, j, c, q],
 * where `up` is dy with sh - 1 zero rows (sw - 1 zero columns) after each row (column): the
 * forward stride undone.
 *
 * That is a stride-1 depthwise correlation of `up` with the spatially flipped filter (same
 * dilation), padded so that it gives H x W outputs, then a sum over the m channels that came from
 * one input channel.
 */
export function depthwiseBackpropInputWasm({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { strides, pad, dilations, dimRoundingMode, inputShape } = attrs as unknown as DepthwiseBackpropInputAttrs;
  return withKernelScope(backend, (scope) => {
    const dy = inputs['dy'] as tf.TensorInfo;
    const filter = inputs['filter'] as tf.TensorInfo;
    const [kh, kw, channels, multiplier] = shape4(filter, 'filter');
    const [batch, height, width] = inputShape;
    const [dh, dw] = pair(dilations);
    const [sh, sw] = pair(strides);
    const info = tf.backend_util.computeConv2DInfo(inputShape, [kh, kw, channels, multiplier], strides, [dh, dw], pad, dimRoundingMode, true);
    const { outHeight, outWidth } = info;
    let up = dy;
    if (sh > 1 || sw > 1) {
      // Zero insertion as one pad: [N, Ho, 1, Wo, 1, C*m] padded to [N, Ho, sh, Wo, sw, C*m].
      const spread = scope.reshape(dy, [batch, outHeight, 1, outWidth, 1, channels * multiplier]);
      const padded = scope.run('PadV2', { x: spread }, {
        paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
        constantValue: 0,
      });
      up = scope.reshape(padded, [batch, outHeight * sh, outWidth * sw, channels * multiplier]);
    }
    const [upHeight, upWidth] = [outHeight * sh, outWidth * sw];
    const effectiveKh = (kh - 1) * dh + 1;
    const effectiveKw = (kw - 1) * dw + 1;
    const rows = fitAxis(upHeight, effectiveKh - 1 - info.padInfo.top, effectiveKh, 1, height);
    const cols = fitAxis(upWidth, effectiveKw - 1 - info.padInfo.left, effectiveKw, 1, width);
    if (!keepsAll(rows, upHeight) || !keepsAll(cols, upWidth)) {
      up = scope.slice(up, [0, rows.crop[0], cols.crop[0], 0], [batch, rows.crop[1], cols.crop[1], channels * multiplier]);
    }
    const flipped = scope.reshape(scope.run('Reverse', { x: filter }, { dims: [0, 1] }), [kh, kw, channels * multiplier, 1]);
    const perOutput = scope.run(
      'DepthwiseConv2dNative',
      { x: up, filter: flipped },
      { strides: [1, 1], dilations: [dh, dw], pad: explicitPad(rows.pad[0], rows.pad[1], cols.pad[0], cols.pad[1]) },
    ); // [N, H, W, C*m]
    if (multiplier === 1) return perOutput;
    const summed = scope.sum(scope.reshape(perOutput, [batch * height * width * channels, multiplier]), 1);
    return scope.reshape(summed, inputShape);
  });
}
