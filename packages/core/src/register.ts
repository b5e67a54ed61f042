// The package's only module with a side effect: importing it registers core's layers (FusedConv2D,
// DilatedConv2D, ActivationLayer) with TF.js, so that saved models load by className, and the
// gradients that let dilated convs train (`registerDilatedGradients`; netblocks' own convs also
// register them on first use, through `convolve2d`).
import { registerDilatedGradients } from './dilated-gradients.js';
import { ActivationLayer, DilatedConv2D, FusedConv2D } from './layers/index.js';
import { registerNetblocksClass } from './registration.js';

registerNetblocksClass(FusedConv2D);
registerNetblocksClass(DilatedConv2D);
registerNetblocksClass(ActivationLayer);
registerDilatedGradients();
