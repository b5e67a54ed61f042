// A Hugging Face Hub and a torchvision-like file host on loopback, for the download tests. Two
// servers on 127.0.0.1 (so two hosts): the Hub answers `/{repo}/resolve/{revision}/{file}` as the
// real one does (HEAD and GET; X-Repo-Commit; X-Linked-Etag = the sha256 and X-Linked-Size for LFS
// files, a 302 to the CDN host; ETag for small git files, served directly; X-Error-Code on a 404),
// and the CDN serves `/cdn/<sha256>` and `/models/<file>` with Range requests. Faults are injected
// per test; every request is logged. Both answer CORS as the real Hub does, so a page on another
// loopback port can fetch from them.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request either server saw. */
export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

/** A fault for the next `times` GETs of matching CDN paths. */
export interface Fault {
  path: RegExp;
  times: number;
  /** Close the connection after this many body bytes. */
  dropAfter?: number;
  /** Flip the byte at this offset of the file. */
  flipByte?: number;
  /** Answer with this status instead. */
  status?: number;
}

export interface HubServer {
  /** The Hub's origin (`http://127.0.0.1:<port>`), for `endpoint` / HF_ENDPOINT. */
  endpoint: string;
  /** The CDN host's origin; `/models/<file>` there is the torchvision-like host. */
  files: string;
  /** The commit every repository is at. */
  commit: string;
  requests: LoggedRequest[];
  faults: Fault[];
  /** Serve CDN bodies in chunks of this size with this pause between them (for overlapping downloads). */
  throttle?: { chunk: number; delayMs: number };
  close(): Promise<void>;
}

/** A git blob id (what the Hub sends as the ETag of a small, non-LFS file). */
const gitBlobId = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** Files the Hub stores in LFS (weights); the rest are plain git files. */
const isLfs = (file: string) => /\.(safetensors|bin|pth|pt)$/.test(file);

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** The CORS headers the Hub and its CDN send: any origin, and the Hub's own headers readable. */
function allowCors(response: ServerResponse): void {
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Expose-Headers', 'X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, Content-Range, Content-Length, X-Error-Code');
}

function takeFault(faults: Fault[], path: string): Fault | undefined {
  const fault = faults.find((f) => f.times > 0 && f.path.test(path));
  if (fault) fault.times -= 1;
  return fault;
}

async function sendBody(response: ServerResponse, bytes: Buffer, throttle: HubServer['throttle']): Promise<void> {
  if (!throttle) return void response.end(bytes);
  for (let at = 0; at < bytes.length; at += throttle.chunk) {
    response.write(bytes.subarray(at, at + throttle.chunk));
    await new Promise((r) => setTimeout(r, throttle.delayMs));
  }
  response.end();
}

/** Serves `bytes` with Range support and the faults that apply. */
async function serveFile(request: IncomingMessage, response: ServerResponse, original: Buffer, state: HubServer): Promise<void> {
  const fault = request.method === 'GET' ? takeFault(state.faults, request.url ?? '') : undefined;
  if (fault?.status) {
    response.writeHead(fault.status).end(`fault ${fault.status}`);
    return;
  }
  let bytes = original;
  if (fault?.flipByte !== undefined) {
    bytes = Buffer.from(original);
    bytes[fault.flipByte] = (bytes[fault.flipByte] as number) ^ 0x01;
  }
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  if (start >= bytes.length && range) {
    response.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` }).end();
    return;
  }
  const body = bytes.subarray(start);
  response.writeHead(range ? 206 : 200, {
    'Content-Length': body.length,
    'Accept-Ranges': 'bytes',
    ...(range ? { 'Content-Range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
  });
  if (request.method === 'HEAD') return void response.end();
  if (fault?.dropAfter !== undefined) {
    response.write(body.subarray(0, fault.dropAfter));
    // Let the bytes go out, then cut the connection mid-body.
    setTimeout(() => response.socket?.destroy(), 20);
    return;
  }
  await sendBody(response, body, state.throttle);
}

/**
 * Starts both servers. `repos` maps a repository id to its files; `files` maps a file name to the
 * bytes served at `/models/<name>` on the file host.
 */
export async function startHubServer(repos: Record<string, Record<string, Buffer>>, files: Record<string, Buffer> = {}): Promise<HubServer> {
  const blobs = new Map<string, Buffer>();
  for (const repo of Object.values(repos)) for (const [file, bytes] of Object.entries(repo)) if (isLfs(file)) blobs.set(sha256(bytes), bytes);
  const hub = createServer();
  const cdn = createServer();
  const state: HubServer = {
    endpoint: await listen(hub),
    files: await listen(cdn),
    commit: createHash('sha1').update('netblocks fixtures').digest('hex'),
    requests: [],
    faults: [],
    close: async () => {
      for (const server of [hub, cdn]) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    },
  };
  const log = (server: 'hub' | 'cdn', request: IncomingMessage) =>
    state.requests.push({
      server,
      method: request.method ?? '',
      path: request.url ?? '',
      ...(request.headers.range ? { range: request.headers.range } : {}),
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
    });

  hub.on('request', (request, response) => {
    log('hub', request);
    allowCors(response);
    const match = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(request.url ?? '');
    const repo = match ? repos[decodeURIComponent(match[1] as string)] : undefined;
    if (!match || !repo) return void response.writeHead(404, { 'X-Error-Code': 'RepoNotFound' }).end('Repository not found');
    const revision = decodeURIComponent(match[2] as string);
    if (revision !== 'main' && revision !== state.commit) return void response.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end('Invalid rev id');
    const file = match[3]?.split('/').map(decodeURIComponent).join('/') as string;
    const bytes = repo[file];
    if (!bytes) return void response.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': state.commit }).end('Entry not found');
    const fault = takeFault(state.faults, request.url ?? '');
    if (fault?.status) return void response.writeHead(fault.status).end(`fault ${fault.status}`);
    if (isLfs(file)) {
      const digest = sha256(bytes);
      response.writeHead(302, {
        Location: `${state.files}/cdn/${digest}`,
        'X-Repo-Commit': state.commit,
        'X-Linked-Etag': `"${digest}"`,
        'X-Linked-Size': String(bytes.length),
        ETag: `"${gitBlobId(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${digest}\nsize ${bytes.length}\n`))}"`,
      });
      return void response.end();
    }
    response.writeHead(200, { 'X-Repo-Commit': state.commit, ETag: `"${gitBlobId(bytes)}"`, 'Content-Length': bytes.length });
    response.end(request.method === 'HEAD' ? undefined : bytes);
  });

  cdn.on('request', (request, response) => {
    log('cdn', request);
    allowCors(response);
    const path = (request.url ?? '').split('?')[0] as string;
    const blob = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    const bytes = blob ? blobs.get(blob[1] as string) : path.startsWith('/models/') ? files[decodeURIComponent(path.slice('/models/'.length))] : undefined;
    if (!bytes) return void response.writeHead(404).end('Not Found');
    void serveFile(request, response, bytes, state);
  });
  return state;
}
