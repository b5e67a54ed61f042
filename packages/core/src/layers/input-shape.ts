import type * as tf from '@tensorflow/tfjs';

/** The one input shape a single-input layer gets (TF.js passes `[shape]` or `shape`). */
export function singleInputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/** The channels of an NHWC input shape; `owner` and `layer` name the layer in the error when they are not known. */
export function nhwcInputChannels(owner: string, layer: string, inputShape: tf.Shape | tf.Shape[]): number {
  const shape = singleInputShape(inputShape);
  const channels = shape[3];
  if (shape.length !== 4 || channels == null) {
    throw new Error(`${owner} ${layer}: needs an NHWC input with known channels (got inputShape=${JSON.stringify(inputShape)})`);
  }
  return channels;
}

/** The last axis of an input shape; `owner` and `layer` name the layer in the error when it is not known. */
export function lastAxisChannels(owner: string, layer: string, inputShape: tf.Shape | tf.Shape[]): number {
  const shape = singleInputShape(inputShape);
  const channels = shape[shape.length - 1];
  if (channels == null) throw new Error(`${owner} ${layer}: the last axis must be known (got inputShape=${JSON.stringify(shape)})`);
  return channels;
}
