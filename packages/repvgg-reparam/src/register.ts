// The package's only module with a side effect. Its blocks use stock TF.js layers and group-conv's
// GroupConv2D (the g2/g4 variants), so importing it registers GroupConv2D with TF.js: saved models
// with grouped RepVGG blocks then load by className. package.json lists it under `sideEffects`.
import '@netblocks/group-conv/register';
