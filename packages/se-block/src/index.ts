export { applySeGate, globalAveragePool, hardSigmoidKeras, hardSigmoidTorch, SE_ACTIVATIONS, SE_GATES, squeezeExcite } from './op.js';
export type { SeActivation, SeGate, SqueezeExciteOptions, SqueezeExciteWeights } from './op.js';
export { seReducedChannels, SENET_WIDTH } from './reduced-channels.js';
export type { SeWidth } from './reduced-channels.js';
export { resolveSqueezeExciteArgs, SqueezeExcite } from './squeeze-excite-layer.js';
export type { ResolvedSqueezeExciteArgs, SeKernelLayout, SqueezeExciteArgs } from './squeeze-excite-layer.js';
export { seAttention, seBlock, withSE } from './blocks.js';
export type { BranchAttention, SeBlockArgs, SeOptions } from './blocks.js';
