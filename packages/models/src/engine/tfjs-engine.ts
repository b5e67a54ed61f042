// The engine on TF.js's active backend: `model.predict`, on the inference-optimized model by default.
import * as tf from '@tensorflow/tfjs';
import { optimizeForInference } from '../optimize/index.js';
import { checkBatch } from './batch.js';
import type { InferenceEngine } from './types.js';

export function createTfjsEngine(model: tf.LayersModel, inputShape: readonly (number | null)[], optimize: boolean): InferenceEngine {
  // Built once here; the engine owns (and disposes) the optimized copy, never the caller's model.
  const runModel = optimize ? optimizeForInference(model) : model;
  let disposed = false;
  return {
    engine: 'tfjs',
    inputShape,
    async predict(x) {
      if (disposed) throw new Error('InferenceEngine.predict: the engine is disposed (dispose() was called)');
      checkBatch(x, inputShape);
      return tf.tidy(() => runModel.predict(x) as tf.Tensor);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (runModel !== model) runModel.dispose();
    },
  };
}
