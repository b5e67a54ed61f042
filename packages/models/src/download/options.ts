// What every download takes, and where the caches are: the same folders and variables as Python's
// huggingface_hub (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE) and torch.hub
// (TORCH_HOME), so a file either one already fetched is found here, and the other way round.

import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where a download stands, after each chunk. */
export interface DownloadProgress {
  /** The file being fetched (`timm/mobilenetv2_100.ra_in1k/model.safetensors`, `resnet50-11ad3fa6.pth`). */
  file: string;
  /** Bytes on disk so far, those of an earlier interrupted attempt included. */
  received: number;
  /** The file's size, when the server says it. */
  total: number | undefined;
  /** Bytes that were already on disk when this download started (a resumed download). */
  resumedFrom: number;
}

/** Options of every download. */
export interface DownloadOptions {
  /** Called after each chunk received. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Aborts the download (the partial file stays, so the next call resumes it). */
  signal?: AbortSignal;
  /** Use the cache only: no request at all. Default: `HF_HUB_OFFLINE` is 1/true/yes/on. */
  offline?: boolean;
  /** Attempts after a network error or a 5xx/429 answer, each resuming where the last stopped. Default 5. */
  retries?: number;
  /** Delay before the first retry, doubled each time. Default 500 ms. */
  retryDelayMs?: number;
  /** The environment to read the variables from. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);

/** Whether an environment flag is set the way huggingface_hub reads them. */
export function envFlag(env: Record<string, string | undefined>, name: string): boolean {
  return TRUE.has((env[name] ?? '').trim().toLowerCase());
}

export function environment(options: DownloadOptions): Record<string, string | undefined> {
  return options.env ?? process.env;
}

export function isOffline(options: DownloadOptions): boolean {
  return options.offline ?? envFlag(environment(options), 'HF_HUB_OFFLINE');
}

/** `$XDG_CACHE_HOME` or `~/.cache`. */
function cacheHome(env: Record<string, string | undefined>): string {
  return env.XDG_CACHE_HOME || join(homedir(), '.cache');
}

/** huggingface_hub's cache: `HF_HUB_CACHE`, else `$HF_HOME/hub` (`HF_HOME` = `$XDG_CACHE_HOME/huggingface`). */
export function hubCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  return join(env.HF_HOME || join(cacheHome(env), 'huggingface'), 'hub');
}

/** torch.hub's checkpoint folder: `$TORCH_HOME/hub/checkpoints` (`TORCH_HOME` = `$XDG_CACHE_HOME/torch`). */
export function torchHubCheckpointsDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.TORCH_HOME || join(cacheHome(env), 'torch'), 'hub', 'checkpoints');
}

/** The Hub's address: `HF_ENDPOINT` (a mirror) or https://huggingface.co, without a trailing slash. */
export function hubEndpoint(env: Record<string, string | undefined> = process.env): string {
  return (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}
