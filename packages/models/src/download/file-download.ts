// One file from a URL to its place in a cache: streamed into a partial file next to it, resumed
// with a Range request after a dropped connection (or on the next call, after an abort or a crash),
// checked (size, sha256 or its prefix), then renamed into place, so the destination only ever
// holds a whole, verified file. The caller holds the lock that keeps two processes apart.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat, truncate, unlink } from 'node:fs/promises';
import { abortError } from './abort.js';
import { HttpError, IncompleteBodyError, throwIfServerError, withRetries, type RetryPolicy } from './http.js';
import type { DownloadProgress } from './options.js';

/** What to fetch, where to put it, and how to check it. */
export interface FileDownload {
  /** Shown in progress and errors. */
  file: string;
  url: string;
  headers: Record<string, string>;
  destination: string;
  partial: string;
  /** The whole file's sha256 (hex), when the source says it (the Hub's LFS etag). */
  sha256?: string;
  /** The start of the sha256 (hex), as torchvision's file names carry it. */
  sha256Prefix?: string;
  /** The size the source announced. */
  size?: number;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  policy: RetryPolicy;
}

/** A download whose bytes are not the ones the source promised. */
export class ChecksumError extends Error {
  override name = 'ChecksumError';
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** The first byte of a 206 answer's `Content-Range: bytes <first>-<last>/<size>`. */
function rangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Streams one answer's body onto the end of the partial file. */
async function appendBody(job: FileDownload, response: Response, state: { received: number; hash: Hash }, resumedFrom: number, madeProgress: () => void): Promise<void> {
  const length = Number(response.headers.get('content-length') ?? NaN);
  const expectedEnd = Number.isFinite(length) ? state.received + length : job.size;
  const total = job.size ?? expectedEnd;
  const handle = await open(job.partial, 'a');
  try {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      if (job.signal?.aborted) {
        await reader.cancel().catch(() => undefined);
        throw abortError(job.signal);
      }
      const { done, value } = await reader.read();
      if (done) break;
      await handle.write(value);
      state.hash.update(value);
      state.received += value.length;
      madeProgress();
      job.onProgress?.({ file: job.file, received: state.received, total, resumedFrom });
    }
  } finally {
    await handle.close();
  }
  if (expectedEnd !== undefined && state.received < expectedEnd) {
    throw new IncompleteBodyError(`${job.file}: the connection closed after ${state.received} of ${expectedEnd} bytes`);
  }
}

async function discard(job: FileDownload, message: string): Promise<never> {
  await unlink(job.partial).catch(() => undefined);
  throw new ChecksumError(`${message}; the download was discarded and nothing was kept in the cache`);
}

/** Downloads `job.url` to `job.destination` (see the file comment). Resolves once the file is in place. */
export async function downloadFile(job: FileDownload): Promise<void> {
  let received = await fileSize(job.partial);
  if (job.size !== undefined && received > job.size) {
    await truncate(job.partial, 0);
    received = 0;
  }
  const state = { received, hash: createHash('sha256') };
  if (received > 0) await hashFile(job.partial, state.hash);
  const resumedFrom = received;

  await withRetries(job.policy, async (madeProgress) => {
    if (job.size !== undefined && state.received === job.size) return;
    const headers: Record<string, string> = { ...job.headers, 'Accept-Encoding': 'identity' };
    if (state.received > 0) headers.Range = `bytes=${state.received}-`;
    const init: RequestInit = { headers, redirect: 'follow', ...(job.signal ? { signal: job.signal } : {}) };
    const response = throwIfServerError(await fetch(job.url, init), job.file);
    if (response.status === 416 && job.size !== undefined && state.received === job.size) return;
    const restart = response.status === 200 && state.received > 0;
    const resumes = response.status === 206 && rangeStart(response) === state.received;
    if (response.status !== 200 && !resumes) {
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 206 || response.status === 416) {
        // The server's range is not ours: start over.
        await truncate(job.partial, 0).catch(() => undefined);
        Object.assign(state, { received: 0, hash: createHash('sha256') });
        throw new IncompleteBodyError(`${job.file}: the server answered ${response.status} to a resume; starting over`);
      }
      throw new HttpError(`${job.file}: ${job.url} answered ${response.status} ${response.statusText}`, response.status, job.url);
    }
    if (restart) {
      // The server ignored the Range header and sends the whole file again.
      await truncate(job.partial, 0);
      Object.assign(state, { received: 0, hash: createHash('sha256') });
    }
    await appendBody(job, response, state, resumedFrom, madeProgress);
  });

  if (job.size !== undefined && state.received !== job.size) await discard(job, `${job.file}: got ${state.received} bytes, the source announced ${job.size}`);
  const digest = state.hash.digest('hex');
  if (job.sha256 !== undefined && digest !== job.sha256.toLowerCase()) {
    await discard(job, `${job.file}: its sha256 is ${digest}, the source says ${job.sha256} (corrupt download)`);
  }
  if (job.sha256Prefix !== undefined && !digest.startsWith(job.sha256Prefix.toLowerCase())) {
    await discard(job, `${job.file}: its sha256 ${digest} does not start with ${job.sha256Prefix}, the hash in its name (corrupt download)`);
  }
  const handle = await open(job.partial, 'r+');
  await handle.sync();
  await handle.close();
  await rename(job.partial, job.destination);
}
