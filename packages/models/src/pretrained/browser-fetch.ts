// The browser side of pretrained weights: `fetch` with progress, the checks the source allows, and
// the Cache API (a checkpoint fetched once is read from the cache afterwards, with no request).
// Works wherever `fetch` does (Node 20 too, without the cache).

import { hashPrefixOf, hubFileUrl } from '../download/names.js';
import type { CheckpointFiles } from './create.js';
import type { PretrainedCheckpoint } from './types.js';

/** Where a download stands (the same shape as in Node). */
export interface FetchProgress {
  file: string;
  received: number;
  total: number | undefined;
  resumedFrom: number;
}

/** Options of the browser fetcher. */
export interface BrowserFetchOptions {
  onProgress?: (progress: FetchProgress) => void;
  signal?: AbortSignal;
  /** The Hub or a mirror. Default https://huggingface.co. */
  endpoint?: string;
  /** The Cache API cache to keep checkpoints in; false to keep none. Default 'netblocks-weights'. */
  cacheName?: string | false;
}

/** A request answered with a status that is not the file. */
export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function openCache(options: BrowserFetchOptions): Promise<Cache | undefined> {
  const name = options.cacheName ?? 'netblocks-weights';
  if (name === false || typeof caches === 'undefined') return Promise.resolve(undefined);
  return caches.open(name).catch(() => undefined);
}

/** Reads a response body chunk by chunk, reporting progress. */
async function readBody(response: Response, file: string, options: BrowserFetchOptions): Promise<Uint8Array<ArrayBuffer>> {
  const length = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? length : undefined;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    options.onProgress?.({ file, received, total, resumedFrom: 0 });
  }
  if (total !== undefined && received !== total) throw new Error(`${file}: the connection closed after ${received} of ${total} bytes`);
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/**
 * The bytes at `url`: from the Cache API when they are there, else fetched (progress reported), checked
 * against `sha256Prefix` when given, and then put in the cache. A non-2xx answer is a `FetchError`
 * naming `what` and the URL.
 */
export async function fetchWithCache(url: string, what: string, options: BrowserFetchOptions & { sha256Prefix?: string } = {}): Promise<Uint8Array> {
  const cache = await openCache(options);
  const hit = await cache?.match(url);
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  const response = await fetch(url, options.signal ? { signal: options.signal } : {});
  if (!response.ok) throw new FetchError(`${what}: ${response.status} ${response.statusText} from ${url}`, response.status);
  const bytes = await readBody(response, what, options);
  if (options.sha256Prefix) {
    const digest = await sha256Hex(bytes);
    if (!digest.startsWith(options.sha256Prefix)) {
      throw new Error(`${what}: its sha256 ${digest} does not start with ${options.sha256Prefix}, the hash in its name (corrupt download); nothing was cached`);
    }
  }
  await cache?.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': 'application/octet-stream' } }));
  return bytes;
}

const notFound = (error: unknown) => error instanceof FetchError && error.status === 404;

/** The browser fetcher of `createPretrainedModel`. */
export async function fetchCheckpointInBrowser(checkpoint: PretrainedCheckpoint, options: BrowserFetchOptions): Promise<CheckpointFiles> {
  const location = checkpoint.location;
  if (location.kind === 'url') {
    const name = location.url.split('/').pop() ?? location.url;
    const prefix = checkpoint.verification === 'sha256 prefix in the file name' ? hashPrefixOf(name) : undefined;
    return { weights: await fetchWithCache(location.url, name, { ...options, ...(prefix ? { sha256Prefix: prefix } : {}) }), source: location.url };
  }
  const endpoint = options.endpoint ?? 'https://huggingface.co';
  const revision = location.revision ?? 'main';
  const url = (file: string) => hubFileUrl(endpoint, location.repo, revision, file);
  const named = (file: string) => `${location.repo}/${file} (revision "${revision}")`;
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(await fetchWithCache(url('config.json'), named('config.json'), options)));
  } catch (error) {
    if (!notFound(error)) throw error;
  }
  const file = location.file ?? 'model.safetensors';
  let weights: Uint8Array;
  let source = url(file);
  try {
    weights = await fetchWithCache(source, named(file), options);
  } catch (error) {
    if (location.file !== undefined || !notFound(error)) throw error;
    source = url('pytorch_model.bin');
    weights = await fetchWithCache(source, named('pytorch_model.bin'), options);
  }
  return { weights, source, ...(config === undefined ? {} : { config }) };
}
