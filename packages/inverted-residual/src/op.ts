import * as tf from '@tensorflow/tfjs';

/** Options of `dropPath`. */
export interface DropPathOptions {
  /** Drop only when true; at inference the op is the identity. Default false. */
  training?: boolean;
  /** Seed of the per-sample coin flips, for reproducible masks. Default none (random). */
  seed?: number;
}

/** Throws unless `rate` is a drop probability in [0, 1]. */
export function checkDropRate(rate: number, what = 'rate'): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    throw new Error(`\`${what}\` must be a probability in [0, 1] (got ${what}=${String(rate)})`);
  }
  return rate;
}

/**
 * Drop path / stochastic depth (Huang et al. 2016; timm's `drop_path`, torchvision's
 * `StochasticDepth(mode='row')`): at training, each sample of the batch is zeroed with
 * probability `rate` and the survivors are scaled by `1 / (1 - rate)`, so the expectation is
 * unchanged; at inference it is the identity. Applied to a residual branch before the addition,
 * it drops the whole block for that sample.
 */
export function dropPath(x: tf.Tensor, rate: number, options: DropPathOptions = {}): tf.Tensor {
  checkDropRate(rate);
  if (!options.training || rate === 0) return x;
  return tf.tidy(() => {
    const keep = 1 - rate;
    if (keep === 0) return tf.zerosLike(x);
    // One coin per sample, broadcast over every other axis: floor(keep + U[0, 1)) is 1 with probability keep.
    const maskShape = [x.shape[0] as number, ...x.shape.slice(1).map(() => 1)];
    const mask = tf.floor(tf.add(keep, tf.randomUniform(maskShape, 0, 1, 'float32', options.seed)));
    return tf.mul(x, tf.div(mask, keep));
  });
}
