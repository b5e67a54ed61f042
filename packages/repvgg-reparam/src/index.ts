export { fuseBranches, identityKernel, padKernelToSize } from './op.js';
export type { FuseBranchesOptions, RepBranch } from './op.js';
export { hasIdentityBranch, repvggBlock, resolveRepVGGBlockArgs } from './repvgg-block.js';
export type { RepVGGBlockArgs, ResolvedRepVGGBlockArgs } from './repvgg-block.js';
export { foldConvBatchNorm, reparameterize } from './reparameterize.js';
export { asRewriteRule, findReparameterizable, reparameterizeWith } from './reparameterizable.js';
export type { Reparameterizable, ReparameterizationRule } from './reparameterizable.js';
export { repvggRule } from './repvgg-rule.js';
export { convBatchNormRule } from './conv-bn-rule.js';
export { cloneLayer, describeConv, uniformZeroPadding } from './conv-layers.js';
export type { ConvLayerInfo } from './conv-layers.js';
/** The graph tools moved to core; re-exported here for the rules written against them. */
export { ModelGraph } from '@netblocks/core';
export type { GraphNode } from '@netblocks/core';
