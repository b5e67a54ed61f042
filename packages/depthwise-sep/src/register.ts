// The package's only module with a side effect: importing it registers the layers with TF.js, so
// that models using them load by className. package.json lists it under `sideEffects`.
import { registerNetblocksClass } from '@netblocks/core';
import { NetblocksDepthwiseConv2D } from './depthwise-conv2d-layer.js';
import { NetblocksSeparableConv2D } from './separable-conv2d-layer.js';

registerNetblocksClass(NetblocksDepthwiseConv2D);
registerNetblocksClass(NetblocksSeparableConv2D);
