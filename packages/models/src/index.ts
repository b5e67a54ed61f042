export { createModel, getModelInfo, listModels, closestModelNames } from './registry.js';
export { resolveModelOptions } from './build.js';
export type { NetblocksModel } from './build.js';
export type { FeatureInfo, ModelInfo, ModelOptions, ReferenceFigures, WeightSource } from './types.js';
