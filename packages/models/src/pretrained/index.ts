import { fetchCheckpointInBrowser, type BrowserFetchOptions } from './browser-fetch.js';
import { createPretrainedModelWith, type PretrainedModel, type PretrainedModelOptions } from './create.js';

export { getPretrained, listPretrained, noCheckpointReason, splitPretrainedName } from './registry.js';
export { IMAGENET_1K_LABELS } from './imagenet-labels.js';
export { parseHubConfig } from './hub-config.js';
export type { HubModelConfig } from './hub-config.js';
export { createPretrainedModelWith } from './create.js';
export type { CheckpointFetcher, CheckpointFiles, PretrainedConfig, PretrainedModel, PretrainedModelOptions } from './create.js';
export { fetchCheckpointInBrowser, fetchWithCache, FetchError } from './browser-fetch.js';
export { hubFileUrl } from '../download/names.js';
export type { BrowserFetchOptions, FetchProgress } from './browser-fetch.js';
export type { CheckpointLocation, PretrainedCheckpoint } from './types.js';

/**
 * Builds `name` (`'mobilenetv2_100'` for its default checkpoint, `'resnet50.a1_in1k'`, or with
 * `tag`), fetches its published weights with `fetch` (kept in the Cache API, so the second call makes
 * no request), loads them strictly and attaches `pretrainedCfg` (preprocessing, class names). In Node,
 * `@netblocks/models/node`'s `createPretrainedModel` keeps the files in the Hub's and torch.hub's
 * caches instead. `numClasses` other than the checkpoint's gives a new classifier on the loaded backbone.
 */
export function createPretrainedModel(name: string, options: PretrainedModelOptions & BrowserFetchOptions = {}): Promise<PretrainedModel> {
  return createPretrainedModelWith(fetchCheckpointInBrowser, name, options);
}
