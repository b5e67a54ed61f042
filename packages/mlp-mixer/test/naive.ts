// Naive references, written from the paper's definitions: plain loops on JS numbers where the
// values are checked, explicit tf ops (TF.js's own autodiff) where gradients are compared.
import * as tf from '@tensorflow/tfjs';

/** erf by its Maclaurin series, 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)); better than 1e-9 for |x| <= 4. */
export function naiveErf(x: number): number {
  let term = x; // (-1)^n x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** GELU from its formulas: exact x * Phi(x); tanh 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function naiveGelu(x: number, approximation: 'exact' | 'tanh'): number {
  if (approximation === 'exact') return 0.5 * x * (1 + naiveErf(x / Math.SQRT2));
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** d/dx of exact GELU: Phi(x) + x phi(x). */
export function naiveGeluDerivative(x: number): number {
  const phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  return 0.5 * (1 + naiveErf(x / Math.SQRT2)) + x * phi;
}

/** Token-mixing weights as nested JS arrays: w1 [S][D_S], b1 [D_S], w2 [D_S][S], b2 [S]. */
export interface NaiveTokenWeights {
  w1: number[][];
  b1: number[];
  w2: number[][];
  b2: number[];
}

/**
 * Token mixing by loops, eq. 1 of the paper: for every image n and channel c, the column
 * x[n][:][c] of S tokens goes through S -> D_S -> S with GELU. x is [N][S][C].
 */
export function naiveTokenMixing(x: number[][][], w: NaiveTokenWeights, approximation: 'exact' | 'tanh'): number[][][] {
  const tokens = w.b2.length;
  const hidden = w.b1.length;
  return x.map((image) => {
    const channels = image[0]?.length ?? 0;
    const out = Array.from({ length: tokens }, () => new Array<number>(channels).fill(0));
    for (let c = 0; c < channels; c++) {
      const h = Array.from({ length: hidden }, (_, j) => {
        let acc = w.b1[j] as number;
        for (let s = 0; s < tokens; s++) acc += (image[s]?.[c] as number) * (w.w1[s]?.[j] as number);
        return naiveGelu(acc, approximation);
      });
      for (let s = 0; s < tokens; s++) {
        let acc = w.b2[s] as number;
        for (let j = 0; j < hidden; j++) acc += (h[j] as number) * (w.w2[j]?.[s] as number);
        (out[s] as number[])[c] = acc;
      }
    }
    return out;
  });
}

/** LayerNorm over the last axis by explicit ops: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function naiveLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
}

/** GELU by explicit ops, for references that need TF.js's autodiff. */
export function opsGelu(x: tf.Tensor, approximation: 'exact' | 'tanh'): tf.Tensor {
  if (approximation === 'exact') return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
}

/** Token mixing by explicit ops: transpose to [N, C, S], two dense layers, transpose back. */
export function opsTokenMixing(x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor, approximation: 'exact' | 'tanh'): tf.Tensor {
  const [n, s, c] = x.shape as [number, number, number];
  const columns = tf.reshape(tf.transpose(x, [0, 2, 1]), [n * c, s]);
  const h = opsGelu(tf.add(tf.matMul(columns, w1 as tf.Tensor2D), b1), approximation);
  const y = tf.add(tf.matMul(h as tf.Tensor2D, w2 as tf.Tensor2D), b2);
  return tf.transpose(tf.reshape(y, [n, c, s]), [0, 2, 1]);
}

/** Weights of one Mixer layer, in the order of the block's `model.getWeights()`. */
export interface BlockWeights {
  norm1: [tf.Tensor, tf.Tensor];
  tokens: [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  norm2: [tf.Tensor, tf.Tensor];
  channels: [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
}

/** One Mixer layer by explicit ops: U = X + TokenMLP(LN(X)), Y = U + ChannelMLP(LN(U)). */
export function opsMixerBlock(x: tf.Tensor, w: BlockWeights, epsilon: number, approximation: 'exact' | 'tanh'): tf.Tensor {
  const u = tf.add(x, opsTokenMixing(naiveLayerNorm(x, ...w.norm1, epsilon), ...w.tokens, approximation));
  const [k1, c1, k2, c2] = w.channels;
  const [n, s, c] = u.shape as [number, number, number];
  const rows = tf.reshape(naiveLayerNorm(u, ...w.norm2, epsilon), [n * s, c]);
  const h = opsGelu(tf.add(tf.matMul(rows as tf.Tensor2D, k1 as tf.Tensor2D), c1), approximation);
  const y = tf.add(tf.matMul(h as tf.Tensor2D, k2 as tf.Tensor2D), c2);
  return tf.add(u, tf.reshape(y, [n, s, c]));
}

/** Nested arrays of a tensor's values, typed for the loop references. */
export const nested3 = (t: tf.Tensor): number[][][] => t.arraySync() as number[][][];
export const nested2 = (t: tf.Tensor): number[][] => t.arraySync() as number[][];
export const flat = (t: tf.Tensor): number[] => Array.from(t.dataSync());
