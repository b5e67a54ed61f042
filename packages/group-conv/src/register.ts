// The package's only module with a side effect: importing it registers GroupConv2D with TF.js, so
// that saved models using it load by className. package.json lists it under `sideEffects`.
import { registerNetblocksClass } from '@netblocks/core';
import { GroupConv2D } from './group-conv-layer.js';

registerNetblocksClass(GroupConv2D);
