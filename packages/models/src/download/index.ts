export { hubDownload, hubRepoFolder, OfflineError } from './hub.js';
export type { HubDownloadOptions, HubFile } from './hub.js';
export { torchHubDownload, torchHubFileName } from './torch-hub.js';
export { hashPrefixOf, hubFileUrl } from './names.js';
export type { TorchHubDownloadOptions } from './torch-hub.js';
export { ChecksumError } from './file-download.js';
export { HttpError } from './http.js';
export { hubCacheDir, hubEndpoint, torchHubCheckpointsDir } from './options.js';
export type { DownloadOptions, DownloadProgress } from './options.js';
