import type * as tf from '@tensorflow/tfjs';
import { browserImageReader } from './classify/browser-decode.js';
import { classifyWith, embedWith, type Classify, type Embed, type ImagePlatform } from './classify/classify.js';
import { createInferenceEngineWith, WEB_ONNX_RUNTIME, type InferenceEngine, type InferenceEngineOptions } from './engine/index.js';
import { fineTuneWith, type FineTuneEpoch, type FineTuneExample, type FineTuneOptions } from './fine-tune/index.js';
export { createModel, getModelInfo, listModels, closestModelNames } from './registry.js';
export { resolveModelOptions } from './build.js';
export type { NetblocksModel } from './build.js';
export type { FeatureInfo, ModelInfo, ModelOptions, Preprocessing, ReferenceFigures, WeightSource } from './types.js';
export { optimizeForInference } from './optimize/index.js';
export { loadTorchWeights, saveTorchWeights } from './weights/index.js';
export type { LoadTorchWeightsOptions, MismatchedWeight, SaveTorchWeightsOptions, TorchWeightSource, TorchWeightsReport } from './weights/index.js';
export { exportOnnx } from './onnx/index.js';
export type { ExportOnnxOptions } from './onnx/index.js';
export {
  createPretrainedModel,
  createPretrainedModelWith,
  fetchCheckpointInBrowser,
  fetchWithCache,
  FetchError,
  getPretrained,
  hubFileUrl,
  IMAGENET_1K_LABELS,
  listPretrained,
  noCheckpointReason,
  parseHubConfig,
  splitPretrainedName,
} from './pretrained/index.js';
export type {
  BrowserFetchOptions,
  CheckpointFetcher,
  CheckpointFiles,
  CheckpointLocation,
  FetchProgress,
  HubModelConfig,
  PretrainedCheckpoint,
  PretrainedConfig,
  PretrainedModel,
  PretrainedModelOptions,
} from './pretrained/index.js';
export { centerCrop, fitToRecipe, modelCard, normalizeInPlace, preprocessImage, resizeImage, setModelCard, shorterSideSize, toChannels } from './classify/index.js';
export type { BrowserImage, Classification, Classify, ClassifyOptions, Embed, FloatImage, ImageDataLike, ImageInput, ImageModelOptions, Interpolation, ModelCard } from './classify/index.js';

/** The `topk` classes of an image (bytes, a tf.Tensor, ImageData, an `<img>`, canvas or ImageBitmap) or of each of several, with the model's preprocessing. In Node, `@netblocks/models/node`'s also reads files. */
export const classify: Classify = ((model, images, options) => classifyWith(BROWSER, model, images, options)) as Classify;
/** The pooled features of each image, `[images, features]`, for retrieval. */
export const embed: Embed = (model, images, options) => embedWith(BROWSER, model, images, options);
const BROWSER: ImagePlatform = { reader: browserImageReader, onnx: WEB_ONNX_RUNTIME };

/**
 * `model` ready to run, on onnxruntime-web (its `exportOnnx` graph in memory; WebGPU where the
 * browser has it, wasm otherwise) or on TF.js: `engine: 'auto'` (default) takes onnxruntime-web
 * when it can be imported or is given as `onnxruntime`, `'onnxruntime'` insists on it, `'tfjs'`
 * runs the model through `optimizeForInference` (unless `optimize: false`) on the active backend.
 * `predict` takes and returns TF.js tensors either way. In Node, `@netblocks/models/node`'s runs
 * onnxruntime-node.
 */
export const createInferenceEngine = (model: tf.LayersModel, options?: InferenceEngineOptions): Promise<InferenceEngine> => createInferenceEngineWith(WEB_ONNX_RUNTIME, model, options);
export type { EngineChoice, EngineName, InferenceEngine, InferenceEngineOptions, OnnxRuntime } from './engine/index.js';
export { applyFineTuneGradients, classifierLayer, classifierVariables, fineTuneStep, fineTuneWith, seededPermutation, seededRandom } from './fine-tune/index.js';
export type { FineTuneEpoch, FineTuneExample, FineTuneOptions, FineTuneProgress, FineTuneStepOptions } from './fine-tune/index.js';
/** Fine-tunes `model` (a new classifier for the examples' classes, e.g. `createPretrainedModel(name, { numClasses })`) on labelled images in memory: the classifier alone for `freezeEpochs`, then the whole network with a slower backbone. */
export const fineTune = (model: tf.LayersModel, examples: readonly FineTuneExample[], options?: FineTuneOptions): Promise<FineTuneEpoch[]> => fineTuneWith(browserImageReader, model, examples, options);
