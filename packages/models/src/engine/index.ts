export { createInferenceEngineWith } from './create.js';
export { createOnnxRunner, importOptional } from './onnxruntime.js';
export type { Float32Batch, OnnxRunner, OnnxRuntime, OrtSession, OrtSessionOptions, OrtTensor } from './onnxruntime.js';
export type { OnnxPlatform } from './platform.js';
export { checkEngineChoice, ENGINE_CHOICES, resolveEngineOptions } from './types.js';
export type { EngineChoice, EngineName, InferenceEngine, InferenceEngineOptions } from './types.js';
export { WEB_ONNX_RUNTIME } from './web-runtime.js';
