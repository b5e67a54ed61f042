// The package's only module with a side effect: importing it registers StochasticDepth with TF.js,
// and (through the core, depthwise-sep and se-block register entries) the dilated blocks' convs
// (DilatedConv2D, NetblocksDepthwiseConv2D) and the SE layer, so that saved models built from these
// blocks load by className. package.json lists it under `sideEffects`.
import { registerNetblocksClass } from '@netblocks/core';
import '@netblocks/core/register';
import '@netblocks/depthwise-sep/register';
import '@netblocks/se-block/register';
import { StochasticDepth } from './stochastic-depth-layer.js';

registerNetblocksClass(StochasticDepth);
