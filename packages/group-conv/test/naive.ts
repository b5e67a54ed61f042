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

/**
 * The undilated kernel a dilated one stands for, tap by tap: `[kh, kw, ...]` becomes
 * `[d(kh-1)+1, d(kw-1)+1, ...]` with tap `(i, j)` at `(d i, d j)` and zeros between (the definition
 * of a dilated conv), written from the values, not with the ops the code under test uses.
 */
export function spreadTaps(kernel: tf.Tensor4D, d: number): tf.Tensor4D {
  const [kh, kw, a, b] = kernel.shape;
  const source = kernel.bufferSync();
  const out = tf.buffer([d * (kh - 1) + 1, d * (kw - 1) + 1, a, b], 'float32');
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) out.set(source.get(i, j, p, q), d * i, d * j, p, q);
  return out.toTensor() as tf.Tensor4D;
}
