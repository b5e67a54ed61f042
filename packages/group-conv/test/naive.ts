import * as tf from '@tensorflow/tfjs';

/**
 * The definition of a grouped conv, written out: pad as asked, then for each group slice its input
 * channels and its output columns of the kernel, convolve, and concatenate the groups' outputs.
 */
export function naiveGroupConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  groups: number,
  strides: number,
  padding: 'torch' | 'same' | 'valid',
  dilation = 1,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, , cg, cout] = filter.shape;
    const og = cout / groups;
    let input = x;
    let pad: 'same' | 'valid' = padding === 'same' ? 'same' : 'valid';
    if (padding === 'torch') {
      const p = (dilation * (kh - 1)) / 2;
      input = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
      pad = 'valid';
    }
    const outs: tf.Tensor4D[] = [];
    for (let g = 0; g < groups; g++) {
      const xg = tf.slice(input, [0, 0, 0, g * cg], [-1, -1, -1, cg]);
      const wg = tf.slice(filter, [0, 0, 0, g * og], [-1, -1, -1, og]);
      outs.push(tf.conv2d(xg, wg, strides, pad, 'NHWC', dilation));
    }
    return tf.concat(outs, 3);
  });
}

