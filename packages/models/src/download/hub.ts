// Files from the Hugging Face Hub, into the cache huggingface_hub keeps:
//
//   <cache>/models--<org>--<name>/refs/<revision>             the commit the revision pointed to
//   <cache>/models--<org>--<name>/blobs/<etag>                 each file once, named by its etag
//   <cache>/models--<org>--<name>/snapshots/<commit>/<file>    a relative symlink to the blob
//   <cache>/.locks/models--<org>--<name>/<etag>.lock           held while a blob is downloaded
//
// A file is resolved at `{endpoint}/{repo}/resolve/{revision}/{file}`: a HEAD answers with the
// commit (X-Repo-Commit), the etag (X-Linked-Etag for LFS files, the sha256 of the content; else
// ETag) and the size (X-Linked-Size, else Content-Length), and usually a redirect to a CDN, where the
// file is fetched without the token. Unlike huggingface_hub, a file already in the cache for the
// revision is used without asking the Hub (pass `revalidate` to ask), so a cached checkpoint costs
// no request at all.

import { copyFile, mkdir, readFile, rename, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { downloadFile } from './file-download.js';
import { HttpError, isRetryable, retryPolicy, throwIfServerError, withRetries } from './http.js';
import { withFileLock } from './lock.js';
import { hubFileUrl } from './names.js';
import { environment, hubCacheDir, hubEndpoint, isOffline, type DownloadOptions } from './options.js';

/** Options of `hubDownload`. */
export interface HubDownloadOptions extends DownloadOptions {
  /** Branch, tag or commit. Default 'main'. */
  revision?: string;
  /** The Hub or a mirror. Default `HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** A token for private or gated repositories. Default `HF_TOKEN`. */
  token?: string;
  /** The cache folder. Default `HF_HUB_CACHE`, or `$HF_HOME/hub`, or `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** Ask the Hub for the revision's current commit even when the file is cached (as huggingface_hub does). Default false. */
  revalidate?: boolean;
}

/** A Hub file in the cache. */
export interface HubFile {
  /** The snapshot path (`.../snapshots/<commit>/<file>`), which reads the blob. */
  path: string;
  commit: string;
  /** Whether it was already in the cache (no download). */
  cached: boolean;
}

/** A file that cannot be had without the network, with the network off. */
export class OfflineError extends Error {
  override name = 'OfflineError';
}

const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The cache folder of a model repository: `models--org--name`. */
export function hubRepoFolder(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

function checkArguments(repo: string, file: string, revision: string): void {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repo) || repo.includes('..')) throw new Error(`\`repo\` must be a Hub repository id such as 'timm/resnet50.a1_in1k' (got repo=${JSON.stringify(repo)})`);
  if (!file || file.startsWith('/') || file.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`\`file\` must be a relative path inside the repository (got file=${JSON.stringify(file)})`);
  }
  if (!revision || revision.includes('..')) throw new Error(`\`revision\` must be a branch, tag or commit (got revision=${JSON.stringify(revision)})`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The etag as a file name: without `W/` and quotes, as huggingface_hub stores it. */
function normalizeEtag(value: string | null): string | undefined {
  return value?.replace(/^W\//, '').replace(/"/g, '') || undefined;
}

interface HubMetadata {
  commit: string;
  etag: string;
  size: number | undefined;
  /** Where the content is (the CDN), or the resolve URL itself. */
  location: string;
}

/** The repository/file/revision named in a Hub error. */
function hubErrorMessage(response: Response, repo: string, file: string, revision: string, url: string): string {
  const code = response.headers.get('x-error-code');
  const where = `file "${file}" of ${repo} at revision "${revision}"`;
  if (code === 'RepoNotFound' || response.status === 401) return `${where}: the repository ${repo} does not exist or needs a token (set HF_TOKEN) — ${response.status} from ${url}`;
  if (code === 'RevisionNotFound') return `${where}: the repository has no revision "${revision}" — ${response.status} from ${url}`;
  if (code === 'EntryNotFound' || response.status === 404) return `${where}: the repository has no such file — ${response.status} from ${url}`;
  if (code === 'GatedRepo' || response.status === 403) return `${where}: access is restricted (gated repository; accept its terms and set HF_TOKEN) — ${response.status} from ${url}`;
  return `${where}: ${response.status} ${response.statusText} from ${url}`;
}

/** HEAD the resolve URL, following only same-host redirects (a renamed repository), as huggingface_hub does. */
async function fetchMetadata(url: string, repo: string, file: string, revision: string, headers: Record<string, string>, options: HubDownloadOptions): Promise<HubMetadata> {
  return withRetries(retryPolicy(options), async () => {
    let target = url;
    for (let hop = 0; hop < 10; hop++) {
      const init: RequestInit = { method: 'HEAD', headers: { ...headers, 'Accept-Encoding': 'identity' }, redirect: 'manual', ...(options.signal ? { signal: options.signal } : {}) };
      const response = throwIfServerError(await fetch(target, init), `${repo}/${file}`);
      const location = response.headers.get('location');
      const commit = response.headers.get('x-repo-commit');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, target);
        // A redirect on the same host without the Hub's headers is a renamed repository: follow it.
        if (next.host === new URL(target).host && !commit) {
          target = next.href;
          continue;
        }
        return metadataFrom(response, next.href, repo, file);
      }
      if (response.status !== 200) throw new HttpError(hubErrorMessage(response, repo, file, revision, target), response.status, target);
      return metadataFrom(response, target, repo, file);
    }
    throw new Error(`${repo}/${file}: too many redirects from ${url}`);
  });
}

function metadataFrom(response: Response, location: string, repo: string, file: string): HubMetadata {
  const commit = response.headers.get('x-repo-commit');
  const etag = normalizeEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag'));
  if (!commit || !etag) throw new Error(`${repo}/${file}: the server did not send X-Repo-Commit and an ETag; is ${new URL(location).origin} a Hugging Face Hub endpoint?`);
  if (!COMMIT.test(commit)) throw new Error(`${repo}/${file}: the server sent X-Repo-Commit ${JSON.stringify(commit)}, not a commit hash`);
  if (!/^[\w.-]+$/.test(etag)) throw new Error(`${repo}/${file}: the server sent an etag that is not a file name (${JSON.stringify(etag)})`);
  const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length') ?? NaN);
  return { commit, etag, size: Number.isSafeInteger(size) && size >= 0 ? size : undefined, location };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

/** Points `snapshots/<commit>/<file>` at the blob: a relative symlink, or a copy where links are not allowed. */
async function linkSnapshot(pointer: string, blob: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  if (await exists(pointer)) return;
  const temporary = `${pointer}.${process.pid}.tmp`;
  await unlink(temporary).catch(() => undefined);
  try {
    await symlink(relative(dirname(pointer), blob), temporary);
  } catch {
    await copyFile(blob, temporary);
  }
  await rename(temporary, pointer);
}

/**
 * Downloads `file` of the Hub model repository `repo` (at `revision`) into huggingface_hub's cache
 * and returns its snapshot path, as `huggingface_hub.hf_hub_download` does; see the file comment.
 * LFS files are checked against the sha256 the Hub sends; the download resumes after a dropped
 * connection, and is retried after a 5xx answer. Offline (`HF_HUB_OFFLINE=1` or `offline`), only
 * the cache is used, and a missing file is an `OfflineError` naming it and the cache path.
 */
export async function hubDownload(repo: string, file: string, options: HubDownloadOptions = {}): Promise<HubFile> {
  const revision = options.revision ?? 'main';
  checkArguments(repo, file, revision);
  const env = environment(options);
  const cache = options.cacheDir ?? hubCacheDir(env);
  const storage = join(cache, hubRepoFolder(repo));
  const refPath = join(storage, 'refs', revision);

  const cachedCommit = COMMIT.test(revision) ? revision : (await readFile(refPath, 'utf8').catch(() => '')).trim();
  if (cachedCommit && !options.revalidate) {
    const pointer = join(storage, 'snapshots', cachedCommit, file);
    if (await exists(pointer)) return { path: pointer, commit: cachedCommit, cached: true };
  }
  if (isOffline(options)) {
    throw new OfflineError(
      `${repo}/${file} (revision "${revision}") is not in the cache at ${storage}, and downloads are off (HF_HUB_OFFLINE is set or \`offline\` is true)`,
    );
  }

  const endpoint = (options.endpoint ?? hubEndpoint(env)).replace(/\/+$/, '');
  const url = hubFileUrl(endpoint, repo, revision, file);
  const token = options.token ?? env.HF_TOKEN;
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  let meta: HubMetadata;
  try {
    meta = await fetchMetadata(url, repo, file, revision, headers, options);
  } catch (error) {
    // As huggingface_hub: when the Hub cannot be reached, a cached copy of the revision still serves.
    const pointer = cachedCommit ? join(storage, 'snapshots', cachedCommit, file) : undefined;
    if (pointer && isRetryable(error) && (await exists(pointer))) return { path: pointer, commit: cachedCommit, cached: true };
    throw error;
  }
  if (!COMMIT.test(revision)) await writeAtomically(refPath, meta.commit);

  const blob = join(storage, 'blobs', meta.etag);
  const pointer = join(storage, 'snapshots', meta.commit, file);
  let cached = true;
  if (!(await exists(blob))) {
    await mkdir(dirname(blob), { recursive: true });
    await withFileLock(
      join(cache, '.locks', hubRepoFolder(repo), `${meta.etag}.lock`),
      async () => {
        if (await exists(blob)) return; // another process finished it while we waited
        cached = false;
        // The token goes to the Hub only, never to a CDN on another host.
        const sameHost = new URL(meta.location).host === new URL(url).host;
        await downloadFile({
          file: `${repo}/${file}`,
          url: meta.location,
          headers: sameHost ? headers : {},
          destination: blob,
          partial: `${blob}.incomplete`,
          ...(SHA256.test(meta.etag) ? { sha256: meta.etag } : {}),
          ...(meta.size === undefined ? {} : { size: meta.size }),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          policy: retryPolicy(options),
        });
      },
      options.signal ? { signal: options.signal } : {},
    );
  }
  await linkSnapshot(pointer, blob);
  return { path: pointer, commit: meta.commit, cached };
}
