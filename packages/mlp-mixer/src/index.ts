export { checkGelu, gelu, GELU_APPROXIMATIONS, tokenMixing } from './op.js';
export type { GeluApproximation, TokenMixingOptions, TokenMixingWeights } from './op.js';
export { Gelu } from './gelu-layer.js';
export type { GeluArgs } from './gelu-layer.js';
export { resolveTokenMixingArgs, TokenMixing } from './token-mixing-layer.js';
export type { MixerInitializer, ResolvedTokenMixingArgs, TokenMixingArgs } from './token-mixing-layer.js';
export { MIXER_LAYER_NORM_EPSILON, mixerBlock, mixerBlockMacs, mixerBlockParams, mixerHead, mixerStem } from './blocks.js';
export type { MixerBlockArgs, MixerBlockSizes, MixerHeadArgs, MixerStemArgs } from './blocks.js';
