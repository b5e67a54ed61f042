// Pretrained weights end to end, with no internet: a loopback Hub and file host
// serve checkpoints that tools/fixtures/make_pretrained_fixtures.py made with Debian's PyTorch (a
// torchvision builder saved with torch.save, a timm-named Hub repository, a legacy-format file);
// each loads strictly and gives PyTorch's logits. Then every fault the issue names, one test each.
// The server is @netblocks/test-utils' startHubServer.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors } from '@netblocks/core';
import { maxRelativeDifference, startHubServer, useBackend, type HubServer } from '@netblocks/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPretrainedModel, hubDownload, pullPretrained, torchHubDownload } from '../src/node.js';
import { ChecksumError, OfflineError } from '../src/download/index.js';

useBackend('cpu');

const fixtureDir = fileURLToPath(new URL('./fixtures/pretrained/', import.meta.url));
const read = (name: string) => readFileSync(path.join(fixtureDir, name));
const SHUFFLENET = 'shufflenetv2_x0.5_c10-2166d2dd6b.pth';
const LEGACY = 'mobilenetv1_025_c10_half-db66e386.pth';
const REPO = 'netblocks-fixtures/mobilenetv1_025.c10';
const BIN_REPO = 'netblocks-fixtures/shufflenet_v2_x0_5.c10-bin';
const weights = read('mobilenetv1_025.c10/model.safetensors');
const config = read('mobilenetv1_025.c10/config.json');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const INPUT: [number, number, number] = [64, 64, 3];

const io = readSafetensors(read('pretrained.io.safetensors'));
let server: HubServer;
let cache: string;

beforeAll(async () => {
  server = await startHubServer(
    { [REPO]: { 'config.json': config, 'model.safetensors': weights }, [BIN_REPO]: { 'pytorch_model.bin': read(SHUFFLENET) } },
    { [SHUFFLENET]: read(SHUFFLENET), [LEGACY]: read(LEGACY) },
  );
});
afterAll(async () => {
  await server.close();
  tf.disposeVariables();
});
beforeEach(async () => {
  cache = await fs.mkdtemp(path.join(os.tmpdir(), 'netblocks-pretrained-'));
  server.requests.length = 0;
  server.faults.length = 0;
  delete server.throttle;
});

/** Options every call gets: the loopback Hub, caches in this test's folder, no variables from the machine, fast retries. */
const at = (extra: object = {}) => ({ endpoint: server.endpoint, hubCacheDir: path.join(cache, 'hub'), torchHubDir: path.join(cache, 'torch'), env: {}, retryDelayMs: 5, inputShape: INPUT, ...extra });
const hubWeights = { kind: 'hub' as const, repo: REPO };
const urlOf = (name: string) => `${server.files}/models/${name}`;

function expectLogits(model: tf.LayersModel, name: string): void {
  const [x, expected] = [io.toTensor('input'), io.toTensor(name)];
  const y = model.predict(x) as tf.Tensor;
  const difference = maxRelativeDifference(y, expected);
  console.info(`${name}: max|diff|/max|ref| vs PyTorch = ${difference.toExponential(2)}`);
  expect(difference).toBeLessThan(1e-4);
  tf.dispose([x, expected, y]);
}

describe("real-format checkpoints give PyTorch's logits", () => {
  it('a Hub repository (config.json + model.safetensors, timm names), into the huggingface_hub cache layout', async () => {
    const model = await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights }));
    expectLogits(model, 'mobilenet');
    expect(model.pretrainedCfg.numClasses).toBe(10);
    expect(model.pretrainedCfg.labels?.[3]).toBe('three');
    expect(model.pretrainedCfg.preprocessing).toMatchObject({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], crop: { resize: 80, size: 64, interpolation: 'bilinear' } });
    // huggingface_hub's layout: refs/main -> commit, blobs/<sha256>, snapshots/<commit>/<file> a relative link to the blob.
    const storage = path.join(cache, 'hub', 'models--netblocks-fixtures--mobilenetv1_025.c10');
    expect(await fs.readFile(path.join(storage, 'refs', 'main'), 'utf8')).toBe(server.commit);
    const pointer = path.join(storage, 'snapshots', server.commit, 'model.safetensors');
    expect(await fs.readlink(pointer)).toBe(path.join('..', '..', 'blobs', sha256(weights)));
    expect(sha256(await fs.readFile(pointer))).toBe(sha256(weights));
    // The weights came from the CDN host, without the token the Hub got.
    expect(server.requests.filter((r) => r.server === 'cdn').map((r) => r.path)).toEqual([`/cdn/${sha256(weights)}`]);
    model.dispose();
  });

  it("a torchvision builder's torch.save .pth from a static host, into torch.hub's checkpoint folder (hash in the name checked)", async () => {
    const model = await createPretrainedModel('shufflenet_v2_x0_5', at({ weights: { kind: 'url', url: urlOf(SHUFFLENET) } }));
    expectLogits(model, 'shufflenet');
    expect(model.pretrainedCfg).toMatchObject({ numClasses: 10, newHead: false, keys: 'torchvision' });
    expect(existsSync(path.join(cache, 'torch', SHUFFLENET))).toBe(true);
    model.dispose();
  });

  it('a legacy-format (pre-zip) torch.save file with float16 storages', async () => {
    const model = await createPretrainedModel('mobilenetv1_025', at({ weights: { kind: 'url', url: urlOf(LEGACY) } }));
    expectLogits(model, 'mobilenet_half');
    model.dispose();
  });

  it('a Hub repository with pytorch_model.bin only (no model.safetensors): found, and read by content', async () => {
    const model = await createPretrainedModel('shufflenet_v2_x0_5', at({ weights: { kind: 'hub', repo: BIN_REPO } }));
    expectLogits(model, 'shufflenet');
    expect(server.requests.some((r) => r.path.endsWith('/resolve/main/pytorch_model.bin'))).toBe(true);
    model.dispose();
  });

  it('another numClasses keeps the loaded backbone and builds a new classifier; numClasses 0 gives pooled features', async () => {
    const full = await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights }));
    const three = await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights, numClasses: 3 }));
    const pooled = await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights, numClasses: 0 }));
    expect(three.outputs[0]?.shape).toEqual([null, 3]);
    expect(pooled.outputs[0]?.shape).toEqual([null, 256]);
    expect(three.pretrainedCfg).toMatchObject({ newHead: true, numClasses: 10 });
    expect(three.pretrainedCfg.labels).toBeUndefined();
    for (const layer of ['conv_stem', 'blocks.4.1.conv_pw', 'blocks.4.1.bn2']) {
      const ours = three.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));
      expect(ours, layer).toEqual(full.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync())));
    }
    [full, three, pooled].forEach((m) => m.dispose());
  });

  it('names the field of a bad `weights`', async () => {
    await expect(createPretrainedModel('mobilenetv1_025', at({ weights: { kind: 'ftp', url: 'x' } }))).rejects.toThrow(/`weights.kind` must be 'hub' or 'url' \(got weights=\{"kind":"ftp","url":"x"\}\)/);
    await expect(createPretrainedModel('mobilenetv1_025', at({ weights: { kind: 'url', url: 'file:///etc/passwd' } }))).rejects.toThrow(/`weights.url` must be an http\(s\) URL/);
    await expect(createPretrainedModel('mobilenetv1_025.ra', at({ weights: hubWeights }))).rejects.toThrow(/give a tag or `weights`, not both/);
  });

  it("refuses weights of another architecture, naming the problems", async () => {
    await expect(createPretrainedModel('mobilenetv1_025', at({ weights: { kind: 'url', url: urlOf(SHUFFLENET) } }))).rejects.toThrow(/do not fit mobilenetv1_025 \(\d+ problems: missing/);
  });
});

describe('the registry resolves to the real addresses', () => {
  it("a timm checkpoint goes to {endpoint}/timm/<arch>.<tag>/resolve/main/...; the Hub's 404 names repo, file and revision", async () => {
    await expect(createPretrainedModel('mobilenetv2_100', at())).rejects.toThrow(
      /file "model\.safetensors" of timm\/mobilenetv2_100\.ra_in1k at revision "main": the repository timm\/mobilenetv2_100\.ra_in1k does not exist or needs a token .* 404 from http:\/\/127\.0\.0\.1:\d+\/timm\/mobilenetv2_100\.ra_in1k\/resolve\/main\/model\.safetensors/,
    );
  });

  it('HF_ENDPOINT (a mirror) and HF_HUB_CACHE are read from the environment', async () => {
    const env = { HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: path.join(cache, 'from-env') };
    const file = await hubDownload(REPO, 'config.json', { env });
    expect(file.path).toBe(path.join(cache, 'from-env', 'models--netblocks-fixtures--mobilenetv1_025.c10', 'snapshots', server.commit, 'config.json'));
  });

  it('HF_HOME puts the cache in $HF_HOME/hub; TORCH_HOME puts checkpoints in $TORCH_HOME/hub/checkpoints', async () => {
    const env = { HF_ENDPOINT: server.endpoint, HF_HOME: path.join(cache, 'hf'), TORCH_HOME: path.join(cache, 'th') };
    expect((await hubDownload(REPO, 'config.json', { env })).path.startsWith(path.join(cache, 'hf', 'hub', 'models--'))).toBe(true);
    expect((await torchHubDownload(urlOf(LEGACY), { env })).path).toBe(path.join(cache, 'th', 'hub', 'checkpoints', LEGACY));
  });
});

describe('the cache', () => {
  it('a second call makes no request at all', async () => {
    (await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights }))).dispose();
    server.requests.length = 0;
    (await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights }))).dispose();
    expect(server.requests).toEqual([]);
  });

  it("a cache laid out by Python's huggingface_hub is used with zero requests", async () => {
    // What hf_hub_download leaves: blobs named by etag, a ref, snapshot links (relative) to the blobs.
    const storage = path.join(cache, 'hub', 'models--netblocks-fixtures--mobilenetv1_025.c10');
    const commit = 'a'.repeat(40);
    const configEtag = createHash('sha1').update(`blob ${config.length}\0`).update(config).digest('hex');
    await fs.mkdir(path.join(storage, 'blobs'), { recursive: true });
    await fs.mkdir(path.join(storage, 'refs'));
    await fs.mkdir(path.join(storage, 'snapshots', commit), { recursive: true });
    await fs.writeFile(path.join(storage, 'blobs', sha256(weights)), weights);
    await fs.writeFile(path.join(storage, 'blobs', configEtag), config);
    await fs.writeFile(path.join(storage, 'refs', 'main'), commit);
    await fs.symlink(path.join('..', '..', 'blobs', sha256(weights)), path.join(storage, 'snapshots', commit, 'model.safetensors'));
    await fs.symlink(path.join('..', '..', 'blobs', configEtag), path.join(storage, 'snapshots', commit, 'config.json'));
    const model = await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights }));
    expect(server.requests).toEqual([]);
    expectLogits(model, 'mobilenet');
    model.dispose();
  });

  it('revalidate asks the Hub for the current commit; when the Hub cannot be reached, the cached copy serves', async () => {
    await hubDownload(REPO, 'config.json', { ...at(), cacheDir: path.join(cache, 'hub') });
    server.requests.length = 0;
    const fresh = await hubDownload(REPO, 'config.json', { ...at(), cacheDir: path.join(cache, 'hub'), revalidate: true });
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD']);
    const down = await hubDownload(REPO, 'config.json', { ...at(), cacheDir: path.join(cache, 'hub'), revalidate: true, endpoint: 'http://127.0.0.1:9', retries: 0 });
    expect(down).toEqual({ ...fresh, cached: true });
  });

  it('offline with the files cached: works, no request', async () => {
    (await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights }))).dispose();
    server.requests.length = 0;
    const model = await createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights, env: { HF_HUB_OFFLINE: '1' } }));
    expect(server.requests).toEqual([]);
    model.dispose();
  });

  it('offline without them: one clear error naming the file and the cache path', async () => {
    await expect(pullPretrained('mobilenetv2_100', at({ offline: true }))).rejects.toThrow(
      new RegExp(`timm/mobilenetv2_100\\.ra_in1k/model\\.safetensors \\(revision "main"\\) is not in the cache at ${path.join(cache, 'hub', 'models--timm--mobilenetv2_100.ra_in1k').replace(/[.]/g, '\\.')}, and downloads are off`),
    );
    await expect(pullPretrained('resnet50', at({ offline: true }))).rejects.toThrow(OfflineError);
    await expect(pullPretrained('resnet50', at({ offline: true }))).rejects.toThrow(`resnet50-11ad3fa6.pth is not in the torch.hub cache at ${path.join(cache, 'torch')}`);
    expect(server.requests).toEqual([]);
  });
});

describe('faults', () => {
  const blobPath = () => path.join(cache, 'hub', 'models--netblocks-fixtures--mobilenetv1_025.c10', 'blobs', sha256(weights));

  it('a connection dropped mid-body is resumed with a Range request, and the bytes are the same', async () => {
    server.faults.push({ path: /^\/cdn\//, times: 1, dropAfter: 100_000 });
    const progress: number[] = [];
    const file = await hubDownload(REPO, 'model.safetensors', { ...at(), cacheDir: path.join(cache, 'hub'), onProgress: (p) => progress.push(p.received) });
    const cdn = server.requests.filter((r) => r.server === 'cdn');
    expect(cdn.length).toBe(2);
    expect(cdn[1]?.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(cdn[1]?.range ?? '')?.[0])).toBeGreaterThan(0);
    expect(sha256(await fs.readFile(file.path))).toBe(sha256(weights));
    expect(progress[progress.length - 1]).toBe(weights.length);
  });

  it('a download interrupted earlier (a partial .incomplete blob) resumes where it stopped', async () => {
    await fs.mkdir(path.dirname(blobPath()), { recursive: true });
    await fs.writeFile(`${blobPath()}.incomplete`, weights.subarray(0, 300_000));
    const resumed: number[] = [];
    await hubDownload(REPO, 'model.safetensors', { ...at(), cacheDir: path.join(cache, 'hub'), onProgress: (p) => resumed.push(p.resumedFrom) });
    expect(server.requests.find((r) => r.server === 'cdn')?.range).toBe('bytes=300000-');
    expect(resumed[0]).toBe(300_000);
    expect(sha256(await fs.readFile(blobPath()))).toBe(sha256(weights));
    expect(existsSync(`${blobPath()}.incomplete`)).toBe(false);
  });

  it('one flipped byte: a hash error, and nothing is left in the cache', async () => {
    server.faults.push({ path: /^\/cdn\//, times: 1, flipByte: 5000 });
    await expect(createPretrainedModel('mobilenetv1_025', at({ weights: hubWeights }))).rejects.toThrow(ChecksumError);
    expect(existsSync(blobPath())).toBe(false);
    expect(existsSync(`${blobPath()}.incomplete`)).toBe(false);
    expect(existsSync(path.join(path.dirname(blobPath()), '..', 'snapshots', server.commit, 'model.safetensors'))).toBe(false);
  });

  it('a torchvision file whose sha256 does not start with the hash in its name is refused', async () => {
    server.faults.push({ path: /^\/models\//, times: 1, flipByte: 10 });
    await expect(torchHubDownload(urlOf(SHUFFLENET), at({ cacheDir: path.join(cache, 'torch') }))).rejects.toThrow(/does not start with 2166d2dd6b, the hash in its name/);
    expect(await fs.readdir(path.join(cache, 'torch'))).toEqual([]);
  });

  it('404: the error names the repository, the file and the revision', async () => {
    await expect(hubDownload(REPO, 'nope.safetensors', { ...at(), cacheDir: path.join(cache, 'hub') })).rejects.toThrow(
      `file "nope.safetensors" of ${REPO} at revision "main": the repository has no such file`,
    );
    await expect(hubDownload(REPO, 'config.json', { ...at(), cacheDir: path.join(cache, 'hub'), revision: 'v9' })).rejects.toThrow(`${REPO} at revision "v9": the repository has no revision "v9"`);
  });

  it('500 then success: retried', async () => {
    server.faults.push({ path: /^\/cdn\//, times: 2, status: 500 });
    const file = await hubDownload(REPO, 'model.safetensors', { ...at(), cacheDir: path.join(cache, 'hub') });
    expect(server.requests.filter((r) => r.server === 'cdn').length).toBe(3);
    expect(sha256(await fs.readFile(file.path))).toBe(sha256(weights));
  });

  it('500 for longer than the retries allow: the error says what the server answered', async () => {
    server.faults.push({ path: /resolve\/main\/config\.json$/, times: 10, status: 503 });
    await expect(hubDownload(REPO, 'config.json', { ...at(), cacheDir: path.join(cache, 'hub'), retries: 2 })).rejects.toThrow(/the server answered 503/);
    expect(server.requests.length).toBe(3);
  });

  it('abort: an AbortError, no blob, and the partial file is kept for the next call to resume', async () => {
    server.throttle = { chunk: 16_384, delayMs: 5 };
    const controller = new AbortController();
    const run = hubDownload(REPO, 'model.safetensors', {
      ...at(),
      cacheDir: path.join(cache, 'hub'),
      signal: controller.signal,
      onProgress: (p) => (p.received > 50_000 ? controller.abort() : undefined),
    });
    await expect(run).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(existsSync(blobPath())).toBe(false);
    const partial = (await fs.stat(`${blobPath()}.incomplete`)).size;
    expect(partial).toBeGreaterThan(50_000);
    expect(partial).toBeLessThan(weights.length);
  });

  it('the token goes to the Hub and never to the CDN on another host', async () => {
    await hubDownload(REPO, 'model.safetensors', { ...at(), cacheDir: path.join(cache, 'hub'), token: 'hf_secret' });
    expect(server.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    expect(server.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === undefined)).toBe(true);
  });

  it('two processes fetching the same file: both get it whole, downloaded once (the second waits on the lock)', async () => {
    server.throttle = { chunk: 65_536, delayMs: 20 };
    const child = fileURLToPath(new URL('./helpers/hub-download-child.mjs', import.meta.url));
    const run = () => promisify(execFile)(process.execPath, [child, server.endpoint, path.join(cache, 'hub'), REPO, 'model.safetensors'], { cwd: path.dirname(child) });
    const results = await Promise.all([run(), run()]);
    for (const { stdout } of results) {
      const file = JSON.parse(stdout) as { path: string };
      expect(sha256(await fs.readFile(file.path))).toBe(sha256(weights));
    }
    expect(server.requests.filter((r) => r.server === 'cdn' && r.method === 'GET').length).toBe(1);
    expect(existsSync(path.join(cache, 'hub', '.locks', 'models--netblocks-fixtures--mobilenetv1_025.c10', `${sha256(weights)}.lock`))).toBe(false);
  });
});
