import * as tf from '@tensorflow/tfjs';

/** The four BatchNorm tensors and its epsilon. `gamma`/`beta` absent mean 1 and 0 (scale/center off). */
export interface BatchNormParams {
  gamma?: tf.Tensor1D;
  beta?: tf.Tensor1D;
  movingMean: tf.Tensor1D;
  movingVariance: tf.Tensor1D;
  epsilon: number;
}

/** A kernel and bias after folding. The caller owns (and disposes) both tensors. */
export interface FoldedKernel {
  kernel: tf.Tensor;
  bias: tf.Tensor1D;
}

/**
 * Per-channel scale and shift of a BatchNorm in inference mode:
 * `bn(y) = gamma * (y - mean) / sqrt(var + eps) + beta = scale * y + shift`.
 */
export function batchNormScaleShift(bn: BatchNormParams): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  return tf.tidy(() => {
    const invStd = tf.rsqrt(tf.add(bn.movingVariance, bn.epsilon));
    const scale = (bn.gamma ? tf.mul(bn.gamma, invStd) : invStd) as tf.Tensor1D;
    const shifted = tf.neg(tf.mul(bn.movingMean, scale));
    const shift = (bn.beta ? tf.add(shifted, bn.beta) : shifted) as tf.Tensor1D;
    return { scale, shift };
  });
}

function checkChannels(fn: string, channels: number, bn: BatchNormParams, bias?: tf.Tensor1D): void {
  const n = bn.movingMean.shape[0];
  if (n !== channels) throw new Error(`${fn}: BatchNorm has ${n} channels but the kernel has ${channels} output channels`);
  if (bias && bias.shape[0] !== channels) {
    throw new Error(`${fn}: \`bias\` has ${bias.shape[0]} entries but the kernel has ${channels} output channels`);
  }
}

function foldLastAxis(fn: string, kernel: tf.Tensor, bias: tf.Tensor1D | undefined, bn: BatchNormParams): FoldedKernel {
  const channels = kernel.shape[kernel.rank - 1] as number;
  checkChannels(fn, channels, bn, bias);
  return tf.tidy(() => {
    const { scale, shift } = batchNormScaleShift(bn);
    // Output channels are the last axis of an HWIO conv kernel and of an [in, out] dense kernel.
    const folded = tf.mul(kernel, scale);
    const newBias = (bias ? tf.add(tf.mul(bias, scale), shift) : shift) as tf.Tensor1D;
    return { kernel: folded, bias: newBias };
  });
}

/** Folds a BatchNorm into the conv before it. `kernel` is HWIO `[kh, kw, cin, cout]`. */
export function foldBatchNormIntoConv(kernel: tf.Tensor4D, bias: tf.Tensor1D | undefined, bn: BatchNormParams): FoldedKernel {
  if (kernel.rank !== 4) throw new Error(`foldBatchNormIntoConv: \`kernel\` must be rank 4 HWIO (got shape [${kernel.shape}])`);
  return foldLastAxis('foldBatchNormIntoConv', kernel, bias, bn);
}

/** Folds a BatchNorm into the dense layer before it. `kernel` is `[in, out]`. */
export function foldBatchNormIntoDense(kernel: tf.Tensor2D, bias: tf.Tensor1D | undefined, bn: BatchNormParams): FoldedKernel {
  if (kernel.rank !== 2) throw new Error(`foldBatchNormIntoDense: \`kernel\` must be rank 2 [in, out] (got shape [${kernel.shape}])`);
  return foldLastAxis('foldBatchNormIntoDense', kernel, bias, bn);
}

/**
 * Folds a BatchNorm into the depthwise conv before it. `kernel` is `[kh, kw, cin, multiplier]`;
 * output channel `c * multiplier + m` comes from input channel `c`, so the BN's per-channel scale
 * is reshaped to `[cin, multiplier]`.
 */
export function foldBatchNormIntoDepthwise(kernel: tf.Tensor4D, bias: tf.Tensor1D | undefined, bn: BatchNormParams): FoldedKernel {
  if (kernel.rank !== 4) {
    throw new Error(`foldBatchNormIntoDepthwise: \`kernel\` must be rank 4 [kh, kw, cin, multiplier] (got shape [${kernel.shape}])`);
  }
  const [, , cin, mult] = kernel.shape;
  checkChannels('foldBatchNormIntoDepthwise', cin * mult, bn, bias);
  return tf.tidy(() => {
    const { scale, shift } = batchNormScaleShift(bn);
    const folded = tf.mul(kernel, tf.reshape(scale, [cin, mult]));
    const newBias = (bias ? tf.add(tf.mul(bias, scale), shift) : shift) as tf.Tensor1D;
    return { kernel: folded, bias: newBias };
  });
}

/** Reads the BatchNorm parameters out of a `tf.layers.batchNormalization` layer (tensors are the layer's own; don't dispose). */
export function batchNormParamsOf(layer: tf.layers.Layer): BatchNormParams {
  const config = layer.getConfig() as { scale?: boolean; center?: boolean; epsilon?: number };
  const weights = layer.getWeights() as tf.Tensor1D[];
  const scale = config.scale !== false;
  const center = config.center !== false;
  let i = 0;
  const gamma = scale ? weights[i++] : undefined;
  const beta = center ? weights[i++] : undefined;
  const movingMean = weights[i++];
  const movingVariance = weights[i++];
  if (!movingMean || !movingVariance) throw new Error(`batchNormParamsOf: layer ${layer.name} is not a built BatchNormalization layer`);
  return { gamma, beta, movingMean, movingVariance, epsilon: config.epsilon ?? 1e-3 };
}
