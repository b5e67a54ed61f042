export { hubDownload, hubRepoFolder, OfflineError } from './hub.js';
export type { HubDownloadOptions, HubFile } from './hub.js';
export { hashPrefixOf, torchHubDownload, torchHubFileName } from './torch-hub.js';
export type { TorchHubDownloadOptions } from './torch-hub.js';
export { ChecksumError } from './file-download.js';
export { HttpError } from './http.js';
export { hubCacheDir, hubEndpoint, torchHubCheckpointsDir } from './options.js';
export type { DownloadOptions, DownloadProgress } from './options.js';
