// Node-only entry: file IO without tfjs-node. Browser bundles import `@netblocks/core` only.
export { saveModel, writeModelArtifacts } from './save-model.js';
export type { SaveModelOptions } from './save-model.js';
export { loadModel, readModelArtifacts } from './load-model.js';
export type { LoadModelOptions } from './load-model.js';
export { fileSystemHandler } from './file-system-handler.js';
export { writeFileDurably } from './atomic-directory.js';
