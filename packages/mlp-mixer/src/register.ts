// The package's only module with a side effect: importing it registers the layers with TF.js, so
// that models using it load by className. package.json lists it under `sideEffects`.
import { registerNetblocksClass } from '@netblocks/core';
import { ChannelDense } from './channel-dense-layer.js';
import { Gelu } from './gelu-layer.js';
import { LayerNorm } from './layer-norm-layer.js';
import { TokenMixing } from './token-mixing-layer.js';

registerNetblocksClass(TokenMixing);
registerNetblocksClass(Gelu);
registerNetblocksClass(LayerNorm);
registerNetblocksClass(ChannelDense);
