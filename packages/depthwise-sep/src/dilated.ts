import * as tf from '@tensorflow/tfjs';

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/**
 * The dense kernel a dilated kernel stands for: `dilation - 1` zeros between neighbouring taps, so
 * `[kh, kw, C, m]` becomes `[dh*(kh-1)+1, dw*(kw-1)+1, C, m]`. A dilated conv with `filter` equals a
 * plain conv with `spreadKernel(filter)`.
 */
export function spreadKernel(filter: tf.Tensor4D, [dh, dw]: readonly [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filter.shape;
    // Rows: give every tap row dh - 1 zero rows after it, then drop the trailing zeros.
    let y: tf.Tensor = tf.pad(tf.reshape(filter, [kh, 1, kw, c, m]), [[0, 0], [0, dh - 1], [0, 0], [0, 0], [0, 0]]);
    y = tf.slice(tf.reshape(y, [kh * dh, kw, c, m]), 0, dh * (kh - 1) + 1);
    const rows = dh * (kh - 1) + 1;
    y = tf.pad(tf.reshape(y, [rows, kw, 1, c, m]), [[0, 0], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
    return tf.slice(tf.reshape(y, [rows, kw * dw, c, m]), [0, 0, 0, 0], [rows, dw * (kw - 1) + 1, c, m]);
  }) as tf.Tensor4D;
}

/**
 * A dilated depthwise conv (`dilation` > 1 on some axis) that TF.js can also differentiate: TF.js's
 * own gradient of a dilated depthwise conv throws, and its forward kernel rejects strides and
 * dilations both above 1. At stride 1 the forward pass is TF.js's dilated kernel and the gradient is
 * that of the equivalent conv with the spread kernel (`spreadKernel`), whose filter gradient is read
 * back at the taps; at larger strides the spread kernel is used forward too.
 */
export function dilatedDepthwiseConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: readonly [number, number],
  pad: ExplicitPadding | 'valid',
  dilation: readonly [number, number],
): tf.Tensor4D {
  const stride: [number, number] = [strides[0], strides[1]];
  if (stride[0] > 1 || stride[1] > 1) return tf.depthwiseConv2d(x, spreadKernel(filter, dilation), stride, pad);
  const rates: [number, number] = [dilation[0], dilation[1]];
  const conv = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, kernel, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([input, kernel]);
    return {
      value: tf.depthwiseConv2d(input, kernel, 1, pad, 'NHWC', rates),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedKernel] = saved as [tf.Tensor4D, tf.Tensor4D];
        const spread = spreadKernel(savedKernel, rates);
        const gradient = tf.getGradient('DepthwiseConv2dNative');
        if (gradient === undefined) throw new Error('dilatedDepthwiseConv2d: TF.js has no gradient registered for DepthwiseConv2dNative');
        const grads = gradient.gradFunc(dy, [savedInput, spread], { strides: [1, 1], pad, dilations: [1, 1] });
        const dInput = grads['x']?.();
        const dSpread = grads['filter']?.();
        if (dInput === undefined || dSpread === undefined) throw new Error('dilatedDepthwiseConv2d: incomplete DepthwiseConv2dNative gradient');
        return [dInput, tf.stridedSlice(dSpread, [0, 0, 0, 0], spread.shape, [rates[0], rates[1], 1, 1])];
      },
    };
  });
  return conv(x, filter) as tf.Tensor4D;
}
