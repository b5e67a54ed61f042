// The package's only module with a side effect: importing it registers the layers with TF.js, so
// that models using them load by className. package.json lists it under `sideEffects`.
// ShuffleNet V1 units hold group-conv's `GroupConv2D`, so its registration comes along.
import '@netblocks/group-conv/register';
import { registerNetblocksClass } from '@netblocks/core';
import { ChannelShuffle } from './channel-shuffle-layer.js';
import { ChannelSlice } from './channel-slice-layer.js';

registerNetblocksClass(ChannelShuffle);
registerNetblocksClass(ChannelSlice);
