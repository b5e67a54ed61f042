import * as tf from '@tensorflow/tfjs';

/** Activation between the two FCs of a squeeze-and-excitation: ReLU (SENet), ReLU6, or swish/SiLU (EfficientNet). */
export type SeActivation = 'relu' | 'relu6' | 'swish';

/**
 * Gate that turns the excitation into per-channel factors:
 * - `'sigmoid'`: 1 / (1 + e^-x) (SENet, EfficientNet);
 * - `'hardSigmoidKeras'`: clip(0.2x + 0.5, 0, 1), as Keras and TF.js define hard-sigmoid;
 * - `'hardSigmoidTorch'`: relu6(x + 3) / 6, PyTorch's `F.hardsigmoid` (MobileNetV3).
 */
export type SeGate = 'sigmoid' | 'hardSigmoidKeras' | 'hardSigmoidTorch';

/** The activations a squeeze-and-excitation accepts, for checking user input. */
export const SE_ACTIVATIONS: readonly SeActivation[] = ['relu', 'relu6', 'swish'];
/** The gates a squeeze-and-excitation accepts, for checking user input. */
export const SE_GATES: readonly SeGate[] = ['sigmoid', 'hardSigmoidKeras', 'hardSigmoidTorch'];

/** Keras / TF.js hard-sigmoid: `clip(0.2 * x + 0.5, 0, 1)` (saturates at |x| = 2.5). */
export function hardSigmoidKeras<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1) as T);
}

/** PyTorch's `F.hardsigmoid`: `relu6(x + 3) / 6` (saturates at |x| = 3). */
export function hardSigmoidTorch<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6) as T);
}

/** Applies `gate` element-wise. */
export function applySeGate<T extends tf.Tensor>(x: T, gate: SeGate): T {
  switch (gate) {
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hardSigmoidKeras':
      return hardSigmoidKeras(x);
    case 'hardSigmoidTorch':
      return hardSigmoidTorch(x);
    default:
      throw new Error(`\`gate\` must be one of ${SE_GATES.join(', ')} (got gate=${JSON.stringify(gate)})`);
  }
}

/** The weights of one squeeze-and-excitation. Kernels are `[in, out]` (a dense layer, PyTorch's
 * `Linear.weight` transposed) or `[1, 1, in, out]` (a 1x1 conv, PyTorch's `Conv2d.weight` as HWIO). */
export interface SqueezeExciteWeights {
  /** Reduce kernel, `[C, Cr]` or `[1, 1, C, Cr]`. */
  reduceKernel: tf.Tensor;
  /** Reduce bias, `[Cr]`. */
  reduceBias: tf.Tensor1D;
  /** Expand kernel, `[Cr, C]` or `[1, 1, Cr, C]`. */
  expandKernel: tf.Tensor;
  /** Expand bias, `[C]`. */
  expandBias: tf.Tensor1D;
}

/** Activation and gate of `squeezeExcite`. */
export interface SqueezeExciteOptions {
  /** Activation after the reduce FC. Default `'relu'`. */
  activation?: SeActivation;
  /** Gate after the expand FC. Default `'sigmoid'`. */
  gate?: SeGate;
}

/** A kernel as the 2-D `[in, out]` matrix, checking its shape against the expected sizes. */
function asMatrix(kernel: tf.Tensor, what: string, rows: number, cols: number): tf.Tensor2D {
  const s = kernel.shape;
  const ok = (s.length === 2 || (s.length === 4 && s[0] === 1 && s[1] === 1)) && s[s.length - 2] === rows && s[s.length - 1] === cols;
  if (!ok) {
    throw new Error(`squeezeExcite: \`${what}\` must be [${rows}, ${cols}] or [1, 1, ${rows}, ${cols}] (got ${what}.shape=[${s.join(', ')}])`);
  }
  return tf.reshape(kernel, [rows, cols]);
}

/**
 * Mean over every axis but the first and last: `[N, ..., C]` -> `[N, C]`. Computed as one average
 * pool over `[N, positions, 1, C]`, which keeps channels innermost: `tf.mean` over axes [1, 2]
 * transposes the whole tensor first and is 5-50x slower on wasm and cpu (README, "Speed").
 */
export function globalAveragePool(x: tf.Tensor): tf.Tensor2D {
  const n = x.shape[0] as number;
  const channels = x.shape[x.rank - 1] as number;
  const positions = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const pooled = tf.avgPool(tf.reshape(x, [n, positions, 1, channels]) as tf.Tensor4D, [positions, 1], 1, 'valid');
    return tf.reshape(pooled, [n, channels]);
  });
}

/**
 * Squeeze-and-excitation (Hu et al. 2018, eq. 2-4) on a channels-last tensor `[N, ..., C]`:
 * `s = gate(W2 act(W1 mean(x) + b1) + b2)`, `y = x * s` channel-wise, where the mean is over every
 * axis but batch and channels (global average pooling).
 */
export function squeezeExcite(x: tf.Tensor, weights: SqueezeExciteWeights, options: SqueezeExciteOptions = {}): tf.Tensor {
  const activation = options.activation ?? 'relu';
  const gate = options.gate ?? 'sigmoid';
  if (!SE_ACTIVATIONS.includes(activation)) {
    throw new Error(`squeezeExcite: \`activation\` must be one of ${SE_ACTIVATIONS.join(', ')} (got activation=${JSON.stringify(activation)})`);
  }
  if (!SE_GATES.includes(gate)) {
    throw new Error(`squeezeExcite: \`gate\` must be one of ${SE_GATES.join(', ')} (got gate=${JSON.stringify(gate)})`);
  }
  if (x.rank < 3) {
    throw new Error(`squeezeExcite: \`x\` must be [N, ..., C] with at least one spatial axis (got x.shape=[${x.shape.join(', ')}])`);
  }
  const channels = x.shape[x.rank - 1] as number;
  const reduced = weights.reduceBias.shape[0] as number;
  return tf.tidy(() => {
    const w1 = asMatrix(weights.reduceKernel, 'reduceKernel', channels, reduced);
    const w2 = asMatrix(weights.expandKernel, 'expandKernel', reduced, channels);
    const squeezed = globalAveragePool(x);
    // Fused matmul + bias (+ ReLU): one kernel on wasm/webgl, and differentiable for linear and ReLU.
    const fusedAct = activation === 'relu' ? 'relu' : 'linear';
    let hidden = tf.fused.matMul({ a: squeezed, b: w1, bias: weights.reduceBias, activation: fusedAct });
    if (activation === 'relu6') hidden = tf.relu6(hidden);
    if (activation === 'swish') hidden = tf.mul(hidden, tf.sigmoid(hidden));
    const excitation = applySeGate(tf.fused.matMul({ a: hidden, b: w2, bias: weights.expandBias }), gate);
    const broadcastShape = [x.shape[0] as number, ...x.shape.slice(1, -1).map(() => 1), channels];
    return tf.mul(x, tf.reshape(excitation, broadcastShape));
  });
}
