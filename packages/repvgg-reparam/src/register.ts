// The package's only module with a side effect. Its blocks use stock TF.js layers, group-conv's
// GroupConv2D (the g2/g4 variants) and core's DilatedConv2D (dilated ungrouped 3x3s), so importing
// it registers both with TF.js (group-conv's entry registers core's): saved models with grouped or
// dilated RepVGG blocks then load by className. package.json lists it under `sideEffects`.
import '@netblocks/core/register';
import '@netblocks/group-conv/register';
