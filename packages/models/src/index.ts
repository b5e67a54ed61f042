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
