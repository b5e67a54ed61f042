// torchvision's checkpoints, into torch.hub's cache (`$TORCH_HOME/hub/checkpoints/<file name>`), as
// `torch.hub.load_state_dict_from_url` keeps them: a file already there is used as it is; a new one
// is checked against the hash its name carries (`resnet50-11ad3fa6.pth`: the sha256 starts with
// 11ad3fa6; torch.hub's `-([a-f0-9]*)\.`). Unlike torch.hub, an interrupted download resumes
// (`<file>.partial`) and two processes are kept apart by `<file>.lock`.

import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadFile } from './file-download.js';
import { retryPolicy } from './http.js';
import { withFileLock } from './lock.js';
import { OfflineError } from './hub.js';
import { hashPrefixOf } from './names.js';
import { environment, isOffline, torchHubCheckpointsDir, type DownloadOptions } from './options.js';

/** Options of `torchHubDownload`. */
export interface TorchHubDownloadOptions extends DownloadOptions {
  /** The checkpoint folder. Default `$TORCH_HOME/hub/checkpoints` (`~/.cache/torch/hub/checkpoints`). */
  cacheDir?: string;
  /** Check the sha256 prefix in the file name. Default true (torch.hub's `check_hash=True`). */
  checkHash?: boolean;
}

/** The file name torch.hub caches a URL under: the last segment of its path. */
export function torchHubFileName(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`\`url\` must be an absolute http(s) URL (got url=${JSON.stringify(url)})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`\`url\` must be http or https (got url=${JSON.stringify(url)})`);
  const name = decodeURIComponent(parsed.pathname.split('/').pop() ?? '');
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\\')) throw new Error(`\`url\` must end in a file name (got url=${JSON.stringify(url)})`);
  return name;
}

/**
 * Downloads the checkpoint at `url` into torch.hub's cache and returns its path (see the file
 * comment). Offline (`HF_HUB_OFFLINE=1` or `offline`), a file not in the cache is an
 * `OfflineError` naming it and the folder.
 */
export async function torchHubDownload(url: string, options: TorchHubDownloadOptions = {}): Promise<{ path: string; cached: boolean }> {
  const name = torchHubFileName(url);
  const folder = options.cacheDir ?? torchHubCheckpointsDir(environment(options));
  const destination = join(folder, name);
  const present = () => stat(destination).then((s) => s.isFile(), () => false);
  if (await present()) return { path: destination, cached: true };
  if (isOffline(options)) throw new OfflineError(`${name} is not in the torch.hub cache at ${folder}, and downloads are off (HF_HUB_OFFLINE is set or \`offline\` is true)`);
  await mkdir(folder, { recursive: true });
  const prefix = options.checkHash === false ? undefined : hashPrefixOf(name);
  let cached = true;
  await withFileLock(
    `${destination}.lock`,
    async () => {
      if (await present()) return;
      cached = false;
      await downloadFile({
        file: name,
        url,
        headers: {},
        destination,
        partial: `${destination}.partial`,
        ...(prefix ? { sha256Prefix: prefix } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        policy: retryPolicy(options),
      });
    },
    options.signal ? { signal: options.signal } : {},
  );
  return { path: destination, cached };
}
