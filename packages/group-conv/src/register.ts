// The package's only module with a side effect: importing it registers GroupConv2D with TF.js, and
// (through @netblocks/core/register) core's DilatedConv2D, which a dilated ungrouped bottleneck
// holds, so that saved models using them load by className. package.json lists it under `sideEffects`.
import { registerNetblocksClass } from '@netblocks/core';
import '@netblocks/core/register';
import { GroupConv2D } from './group-conv-layer.js';

registerNetblocksClass(GroupConv2D);
