export { loadTorchWeights } from './load.js';
export type { LoadTorchWeightsOptions, MismatchedWeight, TorchWeightsReport } from './load.js';
export { saveTorchWeights } from './save.js';
export type { SaveTorchWeightsOptions } from './save.js';
export type { TorchWeightSource } from './source.js';
