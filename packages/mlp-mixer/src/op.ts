import * as tf from '@tensorflow/tfjs';

/**
 * Which GELU: `'exact'` is `x * Phi(x)` with the Gaussian CDF written through erf (PyTorch's
 * `nn.GELU()`, so timm's Mixer); `'tanh'` is the tanh approximation (Flax's `nn.gelu` default,
 * so the official JAX Mixer, and PyTorch's `nn.GELU(approximate='tanh')`).
 */
export type GeluApproximation = 'exact' | 'tanh';

/** Every `GeluApproximation`, in a fixed order. */
export const GELU_APPROXIMATIONS: readonly GeluApproximation[] = ['exact', 'tanh'];

/** Throws unless `value` is a `GeluApproximation`; `fn` and `argName` go into the message. */
export function checkGelu(fn: string, value: unknown, argName = 'gelu'): GeluApproximation {
  if (!GELU_APPROXIMATIONS.includes(value as GeluApproximation)) {
    throw new Error(`${fn}: \`${argName}\` must be 'exact' or 'tanh' (got ${argName}=${JSON.stringify(value)})`);
  }
  return value as GeluApproximation;
}

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU (Hendrycks & Gimpel, 2016). Default `'exact'`:
 * - exact: `0.5 * x * (1 + erf(x / sqrt(2)))`
 * - tanh:  `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`
 */
export function gelu(x: tf.Tensor, approximation: GeluApproximation = 'exact'): tf.Tensor {
  checkGelu('gelu', approximation, 'approximation');
  return tf.tidy(() => {
    const inner =
      approximation === 'exact'
        ? tf.erf(tf.mul(x, SQRT_HALF))
        : tf.tanh(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(inner, 1));
  });
}

/** The weights of one token-mixing MLP, in TF.js layout (PyTorch's `[out, in]` transposed). */
export interface TokenMixingWeights {
  /** First dense layer's kernel, `[S, D_S]` (timm `mlp_tokens.fc1.weight` is `[D_S, S]`). */
  fc1Kernel: tf.Tensor2D;
  /** First dense layer's bias, `[D_S]`. */
  fc1Bias: tf.Tensor1D;
  /** Second dense layer's kernel, `[D_S, S]`. */
  fc2Kernel: tf.Tensor2D;
  /** Second dense layer's bias, `[S]`. */
  fc2Bias: tf.Tensor1D;
}

/** Options of `tokenMixing`. */
export interface TokenMixingOptions {
  /** GELU between the two dense layers. Default `'exact'`. */
  gelu?: GeluApproximation;
}

type Linear = (x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/**
 * `x [M, K] x kernel [K, U] + bias [U]` in one fused matmul, with a gradient that only ever
 * multiplies untransposed operands: on wasm a matmul asked to transpose an operand (as TF.js's own
 * matmul gradient does) runs about 7x slower than an explicit transpose followed by a plain one.
 */
const linear = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, kernel]);
  return {
    value: tf.fused.matMul({ a: x, b: kernel, bias }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, k] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(k)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D), tf.sum(dy, 0)];
    },
  };
}) as unknown as Linear;

const shapeOf = (t: tf.Tensor): string => `[${t.shape.join(', ')}]`;

/** Checks that the weights fit `x` and each other; returns [S, D_S]. */
function checkTokenMixing(x: tf.Tensor, w: TokenMixingWeights): [number, number] {
  const fn = 'tokenMixing';
  if (x.rank !== 3) throw new Error(`${fn}: \`x\` must be [N, S, C] (got x.shape=${shapeOf(x)})`);
  const tokens = x.shape[1] as number;
  const [kIn, hidden] = w.fc1Kernel.shape;
  if (w.fc1Kernel.rank !== 2 || kIn !== tokens) {
    throw new Error(`${fn}: \`fc1Kernel\` must be [S, D_S] with S=${tokens} tokens (got fc1Kernel.shape=${shapeOf(w.fc1Kernel)})`);
  }
  const expected: Array<[string, tf.Tensor, number[]]> = [
    ['fc1Bias', w.fc1Bias, [hidden]],
    ['fc2Kernel', w.fc2Kernel, [hidden, tokens]],
    ['fc2Bias', w.fc2Bias, [tokens]],
  ];
  for (const [name, t, shape] of expected) {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${fn}: \`${name}\` must be [${shape.join(', ')}] (got ${name}.shape=${shapeOf(t)}, S=${tokens}, D_S=${hidden})`);
    }
  }
  return [tokens, hidden];
}

/**
 * The token-mixing MLP of MLP-Mixer (Tolstikhin et al. 2021, eq. 1) on `x` `[N, S, C]`: every
 * channel's column of S tokens goes through the same MLP, S -> D_S -> S with GELU,
 * `U[:, c] = W2 * gelu(W1 * X[:, c] + b1) + b2`. The result is `[N, S, C]`; the LayerNorm before
 * it and the residual add after it are the block's, not this op's.
 */
export function tokenMixing(x: tf.Tensor3D, weights: TokenMixingWeights, options: TokenMixingOptions = {}): tf.Tensor3D {
  const approximation = checkGelu('tokenMixing', options.gelu ?? 'exact');
  const [tokens] = checkTokenMixing(x, weights);
  const [n, , c] = x.shape;
  return tf.tidy(() => {
    // One row per (image, channel): [N*C, S]. Explicit transposes, then plain matmuls, measured
    // fastest on wasm (README: token mixing on the token axis with transposed operands is slower).
    const columns = tf.reshape(tf.transpose(x, [0, 2, 1]), [n * c, tokens]) as tf.Tensor2D;
    const hidden = gelu(linear(columns, weights.fc1Kernel, weights.fc1Bias), approximation) as tf.Tensor2D;
    const mixed = linear(hidden, weights.fc2Kernel, weights.fc2Bias);
    return tf.transpose(tf.reshape(mixed, [n, c, tokens]), [0, 2, 1]);
  });
}

/** Options of `layerNorm`. */
export interface LayerNormOptions {
  /** Per-channel scale `[C]`. Default none (no scaling). */
  gamma?: tf.Tensor1D;
  /** Per-channel offset `[C]`. Default none (no offset). */
  beta?: tf.Tensor1D;
  /** Added to the variance. Default `1e-6` (the reference Mixers'). */
  epsilon?: number;
}

/**
 * Layer normalization over the last axis (Ba et al. 2016), `(x - mean) / sqrt(var + eps) * gamma
 * + beta` with the biased variance: what `tf.layers.layerNormalization({ axis: -1 })` computes, in
 * broadcasting kernels. TF.js's layer tiles the mean, the variance, gamma and beta to the full
 * input shape before its batchNorm, and the wasm Tile kernel takes ~10 ms a call at Mixer-B size.
 */
export function layerNorm(x: tf.Tensor, options: LayerNormOptions = {}): tf.Tensor {
  const epsilon = options.epsilon ?? 1e-6;
  if (!(epsilon > 0)) throw new Error(`layerNorm: \`epsilon\` must be a positive number (got epsilon=${epsilon})`);
  const channels = x.shape[x.rank - 1];
  for (const [name, t] of [['gamma', options.gamma], ['beta', options.beta]] as const) {
    if (t !== undefined && (t.rank !== 1 || t.shape[0] !== channels)) {
      throw new Error(`layerNorm: \`${name}\` must be [${channels}] (got ${name}.shape=${shapeOf(t)})`);
    }
  }
  return tf.tidy(() => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    let y = tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon)));
    if (options.gamma !== undefined) y = tf.mul(y, options.gamma);
    if (options.beta !== undefined) y = tf.add(y, options.beta);
    return y;
  });
}

/** The activations `channelDense` runs inside its matmul kernel. */
export type ChannelDenseActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid';

/**
 * A dense layer over the last axis of `x` `[..., C]` (the channel-mixing MLP's `fc1` / `fc2` on
 * `[N, S, C]`): `x [M, C] x kernel [C, U] + bias` as one fused 2-D matmul, `M` every leading index.
 * tf.layers' Dense on a rank-3 input first "transposes" its kernel by the identity permutation,
 * which on wasm copies it: a new tensor each call, for which XNNPACK packs the weights again
 * (about 1.4x the matmul's time at Mixer-B size). Here the kernel goes in as it is, so the packed
 * weights are reused.
 */
export function channelDense(x: tf.Tensor, kernel: tf.Tensor2D, bias?: tf.Tensor1D, activation: ChannelDenseActivation = 'linear'): tf.Tensor {
  const [inputs, units] = kernel.shape;
  if (kernel.rank !== 2 || x.shape[x.rank - 1] !== inputs) {
    throw new Error(`channelDense: \`kernel\` must be [C, U] with C=${x.shape[x.rank - 1]} (got kernel.shape=${shapeOf(kernel)})`);
  }
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== units)) {
    throw new Error(`channelDense: \`bias\` must be [${units}] (got bias.shape=${shapeOf(bias)})`);
  }
  return tf.tidy(() => {
    const rows = tf.reshape(x, [-1, inputs]) as tf.Tensor2D;
    const y = tf.fused.matMul({ a: rows, b: kernel, bias, activation });
    return tf.reshape(y, [...x.shape.slice(0, -1), units]);
  });
}
