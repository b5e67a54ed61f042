import type * as tf from '@tensorflow/tfjs';

/**
 * A new, unbuilt layer of the same class and config as `layer`, with `overrides` applied (for a conv
 * that gains a bias: `{ name, useBias: true }`). Goes through the class's own `fromConfig`, as loading
 * a saved model does.
 */
export function cloneLayer(layer: tf.layers.Layer, overrides: tf.serialization.ConfigDict = {}): tf.layers.Layer {
  const cls = layer.constructor as tf.serialization.SerializableConstructor<tf.layers.Layer> & {
    fromConfig: (cls: tf.serialization.SerializableConstructor<tf.layers.Layer>, config: tf.serialization.ConfigDict) => tf.layers.Layer;
  };
  // A deep copy: the new layer must share no config object with the old one.
  const config = JSON.parse(JSON.stringify({ ...layer.getConfig(), ...overrides })) as tf.serialization.ConfigDict;
  return cls.fromConfig(cls, config);
}
