// The package's only module with a side effect: importing it registers core's inference layers
// (FusedConv2D, ActivationLayer) with TF.js, so that optimized models load by className.
import { ActivationLayer, FusedConv2D } from './layers/index.js';
import { registerNetblocksClass } from './registration.js';

registerNetblocksClass(FusedConv2D);
registerNetblocksClass(ActivationLayer);
