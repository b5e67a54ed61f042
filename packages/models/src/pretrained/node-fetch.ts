// The Node side of pretrained weights: a checkpoint's files into the caches Python uses (the Hub's for
// timm checkpoints, torch.hub's for torchvision's), then read from there.

import { readFile } from 'node:fs/promises';
import { hubDownload, OfflineError, type HubDownloadOptions } from '../download/hub.js';
import { HttpError } from '../download/http.js';
import { torchHubDownload } from '../download/torch-hub.js';
import type { DownloadOptions } from '../download/options.js';
import type { CheckpointFiles } from './create.js';
import { getPretrained, splitPretrainedName } from './registry.js';
import type { PretrainedCheckpoint } from './types.js';

/** Where and how a checkpoint is downloaded in Node. */
export interface PretrainedDownloadOptions extends DownloadOptions {
  /** The Hub or a mirror (timm checkpoints). Default `HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** A Hub token. Default `HF_TOKEN`. */
  token?: string;
  /** huggingface_hub's cache folder. Default `HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`. */
  hubCacheDir?: string;
  /** torch.hub's checkpoint folder. Default `$TORCH_HOME/hub/checkpoints` or `~/.cache/torch/hub/checkpoints`. */
  torchHubDir?: string;
  /** Ask the Hub for the revision's current commit even when the files are cached. Default false. */
  revalidate?: boolean;
}

/** A checkpoint's files on disk. */
export interface PulledCheckpoint {
  checkpoint: PretrainedCheckpoint;
  /** The weights file (a Hub snapshot path or a torch.hub cache path). */
  weightsPath: string;
  /** The Hub repository's config.json, when it has one. */
  configPath?: string;
  /** Whether everything was already in the cache (no download). */
  cached: boolean;
}

const isMissing = (error: unknown) => (error instanceof HttpError && error.status === 404) || error instanceof OfflineError;

function hubOptions(options: PretrainedDownloadOptions, revision: string | undefined): HubDownloadOptions {
  const { hubCacheDir, torchHubDir: _torch, ...rest } = options;
  return { ...rest, ...(hubCacheDir ? { cacheDir: hubCacheDir } : {}), ...(revision ? { revision } : {}) };
}

/** Downloads (or finds in the cache) the files of `checkpoint`. */
export async function pullCheckpoint(checkpoint: PretrainedCheckpoint, options: PretrainedDownloadOptions = {}): Promise<PulledCheckpoint> {
  const location = checkpoint.location;
  if (location.kind === 'url') {
    const { hubCacheDir: _hub, torchHubDir, ...rest } = options;
    const file = await torchHubDownload(location.url, {
      ...rest,
      ...(torchHubDir ? { cacheDir: torchHubDir } : {}),
      checkHash: checkpoint.verification === 'sha256 prefix in the file name',
    });
    return { checkpoint, weightsPath: file.path, cached: file.cached };
  }
  const hub = hubOptions(options, location.revision);
  let configPath: string | undefined;
  let cached = true;
  try {
    const config = await hubDownload(location.repo, 'config.json', hub);
    configPath = config.path;
    cached &&= config.cached;
  } catch (error) {
    if (!isMissing(error)) throw error; // a repository without config.json is still a repository of weights
  }
  let weights;
  try {
    weights = await hubDownload(location.repo, location.file ?? 'model.safetensors', hub);
  } catch (error) {
    // timm's repositories have model.safetensors; older ones only pytorch_model.bin (timm reads either).
    if (location.file !== undefined || !isMissing(error)) throw error;
    weights = await hubDownload(location.repo, 'pytorch_model.bin', hub).catch((second: unknown) => {
      throw isMissing(second) ? error : second;
    });
  }
  cached &&= weights.cached;
  return { checkpoint, weightsPath: weights.path, ...(configPath ? { configPath } : {}), cached };
}

/**
 * Downloads the checkpoint `name` (`'resnet50'` for its default, `'resnet50.a1_in1k'`) into the cache
 * and returns where its files are, without building a model (`netblocks pull`).
 */
export async function pullPretrained(name: string, options: PretrainedDownloadOptions & { tag?: string } = {}): Promise<PulledCheckpoint> {
  const { tag, ...rest } = options;
  const split = splitPretrainedName(name);
  return pullCheckpoint(getPretrained(split.model, tag ?? split.tag), rest);
}

/** The Node fetcher of `createPretrainedModel`: the caches, then the files' bytes. */
export async function fetchCheckpointFiles(checkpoint: PretrainedCheckpoint, options: PretrainedDownloadOptions): Promise<CheckpointFiles> {
  const pulled = await pullCheckpoint(checkpoint, options);
  const bytes = await readFile(pulled.weightsPath);
  let config: unknown;
  if (pulled.configPath) {
    const text = await readFile(pulled.configPath, 'utf8');
    try {
      config = JSON.parse(text);
    } catch (error) {
      throw new Error(`${pulled.configPath}: config.json is not valid JSON (${(error as Error).message})`);
    }
  }
  return { weights: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), source: pulled.weightsPath, ...(config === undefined ? {} : { config }) };
}
