export { ActivationLayer } from './activation-layer.js';
export type { ActivationLayerArgs } from './activation-layer.js';
export { FusedConv2D, resolveFusedConv2DArgs } from './fused-conv2d-layer.js';
export type { ExplicitPadding2D, FusedConv2DArgs, ResolvedFusedConv2DArgs } from './fused-conv2d-layer.js';
export { DilatedConv2D, resolveDilatedConv2DArgs } from './dilated-conv2d-layer.js';
export { lastAxisChannels, nhwcInputChannels, singleInputShape } from './input-shape.js';
export type { DilatedConv2DArgs, ResolvedDilatedConv2DArgs } from './dilated-conv2d-layer.js';
