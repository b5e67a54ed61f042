export { createInferencePool } from './create-pool.js';
export type { BatchData, InferencePool, InferencePoolOptions, PoolBackend } from './types.js';
