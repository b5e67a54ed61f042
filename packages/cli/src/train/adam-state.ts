import * as tf from '@tensorflow/tfjs';

/** The running products beta1^t and beta2^t that TF.js's Adam keeps besides its weights. */
interface AdamProducts {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

function productsOf(optimizer: tf.Optimizer): AdamProducts | null {
  const candidate = optimizer as unknown as Partial<AdamProducts>;
  return candidate.accBeta1 instanceof tf.Variable && candidate.accBeta2 instanceof tf.Variable ? (candidate as AdamProducts) : null;
}

/**
 * Adam's bias-correction products, to save with a checkpoint (null for other optimizers).
 * `getWeights` does not include them and `setWeights` recomputes them with `pow`, which differs
 * from the running product in the last bit; on weights whose gradient is near zero Adam's step
 * m/sqrt(v) is about lr * sign(g) and magnifies that bit, so a resumed run would drift away from
 * the uninterrupted one. Saving them exactly makes resume bit-exact.
 */
export function readAdamProducts(optimizer: tf.Optimizer): [number, number] | null {
  const products = productsOf(optimizer);
  if (!products) return null;
  return [products.accBeta1.dataSync()[0] as number, products.accBeta2.dataSync()[0] as number];
}

/** Restores what `readAdamProducts` saved (after `setWeights`). */
export function restoreAdamProducts(optimizer: tf.Optimizer, values: [number, number] | null | undefined): void {
  const products = productsOf(optimizer);
  if (!products || !values) return;
  tf.tidy(() => {
    products.accBeta1.assign(tf.scalar(values[0]));
    products.accBeta2.assign(tf.scalar(values[1]));
  });
}
