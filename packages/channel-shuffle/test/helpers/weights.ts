import * as tf from '@tensorflow/tfjs';

/**
 * Gives every weight of `model` random values from a fixed seed: BN variances in [0.5, 1.5], every
 * other weight normal with std 0.3. Non-trivial BN statistics make a wrong epsilon or order show.
 */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const values = model.weights.map((w, i) =>
    w.originalName.endsWith('moving_variance')
      ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', seed + i)
      : tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', seed + i),
  );
  model.setWeights(values);
  tf.dispose(values);
}

/** The weights of layer `name`, as tensors the caller must not dispose (they are the layer's). */
export function weightsOf(model: tf.LayersModel, name: string): tf.Tensor[] {
  return model.getLayer(name).getWeights();
}

/** Inference BatchNorm written out: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function batchNormReference(x: tf.Tensor, [gamma, beta, mean, variance]: tf.Tensor[], epsilon = 1e-5): tf.Tensor {
  const normalized = tf.div(tf.sub(x, mean as tf.Tensor), tf.sqrt(tf.add(variance as tf.Tensor, epsilon)));
  return tf.add(tf.mul(normalized, gamma as tf.Tensor), beta as tf.Tensor);
}

/** A 3x3 depthwise conv with PyTorch's padding 1: zeros on every side, then 'valid'. */
export function depthwiseReference(x: tf.Tensor, kernel: tf.Tensor, strides: number): tf.Tensor {
  const padded = tf.pad(x as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  return tf.depthwiseConv2d(padded, kernel as tf.Tensor4D, strides, 'valid');
}

/** A 1x1 conv on every channel-group separately, concatenated: the naive grouped pointwise conv.
 * `kernel` is [1, 1, Cin / groups, Cout]. */
export function groupedPointwiseReference(x: tf.Tensor, kernel: tf.Tensor, groups: number): tf.Tensor {
  const xs = tf.split(x, groups, 3);
  const ks = tf.split(kernel, groups, 3);
  return tf.concat(xs.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, ks[g] as tf.Tensor4D, 1, 'valid')), 3);
}

/** Gathers channels of a channels-last tensor: y[..., j] = x[..., perm[j]]. */
export function permuteChannels(x: tf.Tensor, perm: readonly number[]): tf.Tensor {
  return tf.gather(x, perm as number[], x.rank - 1);
}

/** The paper's shuffle, index by index: of g groups of n channels, output `i * g + k` is channel
 * `i` of group `k` (input `k * n + i`). */
export function paperShufflePermutation(channels: number, groups: number): number[] {
  const perGroup = channels / groups;
  const perm = new Array<number>(channels);
  for (let k = 0; k < groups; k++) for (let i = 0; i < perGroup; i++) perm[i * groups + k] = k * perGroup + i;
  return perm;
}
