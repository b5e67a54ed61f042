// The browser path of pretrained weights, in Debian's chromium: a page bundled by vite with
// @netblocks/models fetches a checkpoint from the loopback Hub (@netblocks/test-utils' startHubServer,
// another origin, CORS as the Hub sends it), with progress, loads it and gives PyTorch's logits; the
// second load comes from the Cache API with no request; a file whose sha256 does not match the hash
// in its name is refused and not cached. The checkpoints are @netblocks/models' test fixtures
// (tools/fixtures/make_pretrained_fixtures.py).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@netblocks/core';
import { startHubServer, type HubServer } from '@netblocks/test-utils';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDirectory } from './static-server.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = resolve(packageDir, '../models/test/fixtures/pretrained');
const fixture = (name: string) => readFileSync(join(fixtures, name));
const REPO = 'netblocks-fixtures/mobilenetv1_025.c10';
const TORCHVISION_FILE = 'shufflenetv2_x0.5_c10-2166d2dd6b.pth';

let tmp: string;
let site: Awaited<ReturnType<typeof serveDirectory>>;
let hub: HubServer;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];
const io = readSafetensors(fixture('pretrained.io.safetensors'));
const input = io.get('input');

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'netblocks-pretrained-page-'));
  const root = join(packageDir, 'test', 'pages');
  await build({ root, configFile: false, base: './', logLevel: 'warn', build: { outDir: join(tmp, 'dist'), emptyOutDir: true, target: 'es2022', rollupOptions: { input: join(root, 'pretrained.html') } } });
  site = await serveDirectory(join(tmp, 'dist'));
  hub = await startHubServer(
    { [REPO]: { 'config.json': fixture('mobilenetv1_025.c10/config.json'), 'model.safetensors': fixture('mobilenetv1_025.c10/model.safetensors') } },
    { [TORCHVISION_FILE]: fixture(TORCHVISION_FILE) },
  );
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${site.url}pretrained.html`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 60_000 });
});

afterAll(async () => {
  await context?.close();
  await site?.close();
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

type RunResult = { logits: number[]; received: number[]; labels: string[] | null; cached: string[] };
const run = (model: string, weights: object): Promise<RunResult> =>
  page.evaluate((args) => window.runPretrained(args as Parameters<typeof window.runPretrained>[0]), {
    model,
    weights,
    endpoint: hub.endpoint,
    input: Array.from(input.data as Float32Array),
    shape: input.shape as [number, number, number, number],
  });

function maxRelative(got: number[], want: Float32Array): number {
  const scale = Math.max(...Array.from(want, Math.abs));
  return Math.max(...got.map((g, i) => Math.abs(g - (want[i] as number)))) / scale;
}

describe('pretrained weights in the browser (fetch, progress, Cache API)', () => {
  it("fetches a Hub checkpoint with progress and gives PyTorch's logits", async () => {
    const result = await run('mobilenetv1_025', { kind: 'hub', repo: REPO });
    expect(maxRelative(result.logits, io.get('mobilenet').data as Float32Array)).toBeLessThan(1e-4);
    expect(result.labels?.[9]).toBe('nine');
    expect(result.received.length).toBeGreaterThan(1);
    expect(result.received[result.received.length - 1]).toBe(fixture('mobilenetv1_025.c10/model.safetensors').length);
    expect(result.cached.some((url) => url.endsWith('/resolve/main/model.safetensors'))).toBe(true);
    expect(hub.requests.some((r) => r.server === 'cdn')).toBe(true);
  });

  it('loads it again from the Cache API without a request', async () => {
    hub.requests.length = 0;
    const result = await run('mobilenetv1_025', { kind: 'hub', repo: REPO });
    expect(hub.requests).toEqual([]);
    expect(maxRelative(result.logits, io.get('mobilenet').data as Float32Array)).toBeLessThan(1e-4);
  });

  it('refuses a torchvision-style file whose sha256 does not start with the hash in its name, and caches nothing', async () => {
    hub.faults.push({ path: /^\/models\//, times: 1, flipByte: 100 });
    const url = `${hub.files}/models/${TORCHVISION_FILE}`;
    await expect(run('shufflenet_v2_x0_5', { kind: 'url', url })).rejects.toThrow(/does not start with 2166d2dd6b, the hash in its name/);
    const result = await run('shufflenet_v2_x0_5', { kind: 'url', url });
    expect(maxRelative(result.logits, io.get('shufflenet').data as Float32Array)).toBeLessThan(1e-4);
    expect(result.cached).toContain(url);
  });

  it('had no uncaught errors', () => {
    expect(errors).toEqual([]);
  });
});
