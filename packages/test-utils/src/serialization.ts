import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { expectTensorsClose } from './tensors.js';

/**
 * Checks the serialization contract of one layer: `fromConfig(getConfig())` gives a layer with
 * the same config, registered under its className, which computes the same output on `input`
 * once it holds the same weights.
 */
export function expectLayerRoundTrip(layer: tf.layers.Layer, input: tf.Tensor, tolerance = 1e-6): void {
  const cls = layer.constructor as tf.serialization.SerializableConstructor<tf.layers.Layer> & { className: string };
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[cls.className];
  expect(registered, `class ${cls.className} is not registered`).toBeDefined();
  const config = layer.getConfig();
  const copy = tf.layers.Layer.fromConfig(cls, config) as tf.layers.Layer;
  expect(copy.getConfig()).toEqual(config);
  tf.tidy(() => {
    const y = layer.apply(input) as tf.Tensor;
    copy.apply(input);
    copy.setWeights(layer.getWeights());
    const y2 = copy.apply(input) as tf.Tensor;
    expectTensorsClose(y2, y, tolerance);
  });
  // The round trip through JSON and the registry, as loading a model.json does.
  const json = JSON.parse(JSON.stringify(config)) as tf.serialization.ConfigDict;
  const [ctor, fromConfig] = registered as unknown as [
    tf.serialization.SerializableConstructor<tf.layers.Layer>,
    (c: typeof ctor, config: tf.serialization.ConfigDict) => tf.layers.Layer,
  ];
  expect(fromConfig(ctor, json).getConfig()).toEqual(config);
}

/**
 * Saves `model` to memory and loads it back through the registry, checking that the loaded model
 * computes the same output on `input`.
 */
export async function expectModelRoundTrip(model: tf.LayersModel, input: tf.Tensor, tolerance = 1e-6): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error('model.save produced no artifacts');
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  tf.tidy(() => {
    const a = model.predict(input) as tf.Tensor;
    const b = loaded.predict(input) as tf.Tensor;
    expectTensorsClose(b, a, tolerance);
  });
  return loaded;
}
