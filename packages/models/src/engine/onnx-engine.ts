// The engine on onnxruntime: the model's ONNX export, made in memory once, in one session.
import * as tf from '@tensorflow/tfjs';
import { exportOnnx } from '../onnx/index.js';
import { checkBatch } from './batch.js';
import { createOnnxRunner, type OnnxRuntime, type OrtSessionOptions } from './onnxruntime.js';
import type { InferenceEngine } from './types.js';

export async function createOnnxEngine(
  ort: OnnxRuntime,
  name: 'onnxruntime-node' | 'onnxruntime-web',
  model: tf.LayersModel,
  inputShape: readonly (number | null)[],
  sessionOptions: OrtSessionOptions,
): Promise<InferenceEngine> {
  const runner = await createOnnxRunner(ort, exportOnnx(model), sessionOptions);
  return {
    engine: name,
    inputShape,
    async predict(x) {
      checkBatch(x, inputShape);
      // The values in TF.js's NHWC order, which is the export's input layout (no transpose here).
      const data = (await x.data()) as Float32Array;
      const y = await runner.run(data, x.shape).catch((error: unknown) => {
        throw new Error(`InferenceEngine.predict (${name}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
      return tf.tensor(y.data, y.shape, 'float32');
    },
    dispose: () => runner.release(),
  };
}
