import * as tf from '@tensorflow/tfjs';

/** The model's one NHWC input shape; an error for a model with several inputs or outputs. */
export function engineInputShape(fn: string, model: tf.LayersModel): (number | null)[] {
  if (!(model instanceof tf.LayersModel)) throw new Error(`${fn}: \`model\` must be a tf.LayersModel (got ${String(model)})`);
  const shape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || shape?.length !== 4) {
    throw new Error(
      `${fn}: the model must have one NHWC image input and one output (got inputs ${JSON.stringify(model.inputs.map((t) => t.shape))}, ` +
        `outputs ${JSON.stringify(model.outputs.map((t) => t.shape))})`,
    );
  }
  return [...shape];
}

/** Checks that `x` is a float32 batch the model takes (`null` dims take any size). */
export function checkBatch(x: unknown, inputShape: readonly (number | null)[]): asserts x is tf.Tensor4D {
  const fn = 'InferenceEngine.predict';
  if (!(x instanceof tf.Tensor)) throw new Error(`${fn}: \`x\` must be a tf.Tensor4D (got ${String(x)})`);
  if (x.isDisposed) throw new Error(`${fn}: \`x\` is disposed`);
  if (x.dtype !== 'float32') throw new Error(`${fn}: \`x\` must be float32 (got dtype ${x.dtype}); cast it with tf.cast(x, 'float32')`);
  const shape: readonly number[] = x.shape;
  const fits = x.rank === inputShape.length && shape.every((dim, axis) => (inputShape[axis] ?? dim) === dim);
  if (!fits || shape[0] === 0) {
    throw new Error(`${fn}: \`x\` has shape ${JSON.stringify(x.shape)}, but the model takes ${JSON.stringify(inputShape)} (null: any size; the batch at least 1)`);
  }
}
