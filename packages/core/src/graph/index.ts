export { cloneLayer } from './clone-layer.js';
export { isContainer, isInputNode, ModelGraph } from './model-graph.js';
export type { GraphNode } from './model-graph.js';
export { findRewrites, rewriteModel } from './rewrite.js';
export type { ClaimsLayers, GraphRewrite, RewriteRule } from './rewrite.js';
