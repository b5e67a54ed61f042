import type * as tf from '@tensorflow/tfjs';

/** The one shape of a single-input layer; `layer` names the layer class in the error. */
export function singleShape(layer: string, inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  const first = inputShape[0];
  if (Array.isArray(first)) {
    if (inputShape.length !== 1) throw new Error(`${layer}: expects exactly one input (got ${inputShape.length} inputs)`);
    return first;
  }
  return inputShape as tf.Shape;
}

/** The known channel (last) dimension of `shape`, or an error naming the layer and the shape. */
export function knownChannels(layer: string, shape: tf.Shape): number {
  const channels = shape[shape.length - 1];
  if (channels == null) {
    throw new Error(`${layer}: the channel (last) axis must be known (got inputShape=${JSON.stringify(shape)})`);
  }
  return channels;
}

/** The one tensor of a single-input call. */
export function singleInput(layer: string, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  const x = Array.isArray(inputs) ? inputs[0] : inputs;
  if (x === undefined || (Array.isArray(inputs) && inputs.length !== 1)) {
    throw new Error(`${layer}: call() needs exactly one input tensor`);
  }
  return x;
}
