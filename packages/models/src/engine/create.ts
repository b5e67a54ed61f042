import type * as tf from '@tensorflow/tfjs';
import { engineInputShape } from './batch.js';
import { createOnnxEngine } from './onnx-engine.js';
import type { OnnxRuntime } from './onnxruntime.js';
import type { OnnxPlatform } from './platform.js';
import { createTfjsEngine } from './tfjs-engine.js';
import { resolveEngineOptions, type InferenceEngine, type InferenceEngineOptions } from './types.js';

/** Which runtime a module given as `onnxruntime` is (its `env.versions`), else the platform's. */
function runtimeName(ort: OnnxRuntime, platform: OnnxPlatform): 'onnxruntime-node' | 'onnxruntime-web' {
  if (ort.env.versions?.web !== undefined) return 'onnxruntime-web';
  if (ort.env.versions?.node !== undefined) return 'onnxruntime-node';
  return platform.name;
}

/**
 * `createInferenceEngine` on one platform (the entries bind Node's onnxruntime-node or the
 * browser's onnxruntime-web). With `'auto'`, onnxruntime when its package can be imported (or is
 * given as `onnxruntime`), TF.js otherwise; a model onnxruntime cannot take (a layer the exporter
 * does not know) is an error, not a silent fallback.
 */
export async function createInferenceEngineWith(platform: OnnxPlatform, model: tf.LayersModel, options: InferenceEngineOptions = {}): Promise<InferenceEngine> {
  const fn = 'createInferenceEngine';
  const { engine, threads, optimize, onnxruntime } = resolveEngineOptions(fn, options);
  const inputShape = engineInputShape(fn, model);
  if (engine !== 'tfjs') {
    const ort = onnxruntime ?? (await platform.load());
    if (ort !== null) return createOnnxEngine(ort, runtimeName(ort, platform), model, inputShape, platform.sessionOptions(ort, threads));
    if (engine === 'onnxruntime') {
      throw new Error(
        `${fn}: engine 'onnxruntime' needs the ${platform.name} package, which is not installed: \`npm install ${platform.name}\` ` +
          `(an optional peer dependency of @netblocks/models), or pass engine: 'auto' (TF.js without it) or 'tfjs'`,
      );
    }
  }
  return createTfjsEngine(model, inputShape, optimize);
}
