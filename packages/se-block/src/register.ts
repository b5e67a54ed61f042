// The package's only module with a side effect: importing it registers SqueezeExcite with TF.js, so
// that saved models using it load by className. package.json lists it under `sideEffects`.
import { registerNetblocksClass } from '@netblocks/core';
import { SqueezeExcite } from './squeeze-excite-layer.js';

registerNetblocksClass(SqueezeExcite);
