// The classify and fine-tune panels of the playground in Debian's chromium, driven through their
// controls as a person would (selects, fields, file inputs, buttons, download links). The page is
// the real one, built by vite, on the cpu backend (`?backend=cpu`: the same float32 JS kernels as
// TF.js in Node, so the page's numbers are PyTorch's within float rounding and the downloaded
// files give the page's logits when reloaded here; webgl in headless chromium is SwiftShader, and
// wasm sums in another order). The weights come from a loopback Hub (@netblocks/test-utils'
// startHubServer, another origin, CORS as the Hub sends it) serving @netblocks/models' fixture
// checkpoint mobilenetv1_025.c10 (10 classes "zero".."nine", 64x64 input).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
// The netblocks layer classes, for loading the downloaded model.json.
import '@netblocks/models/register';
import { createModel, loadTorchWeights, modelCard } from '@netblocks/models';
import { startHubServer, type HubServer } from '@netblocks/test-utils';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDirectory } from './static-server.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = resolve(packageDir, '../models/test/fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name));
const REPO = 'netblocks-fixtures/mobilenetv1_025.c10';
const LABELS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const SIZE = 64;
const CLASSES = ['yellows', 'blues'];
const IMAGES_PER_CLASS = 4;
// Classifier-only epochs, one step each (every image in a batch): a step through the backbone costs
// about 9 s on the cpu backend (TF.js' Conv2DBackpropFilter there is a plain loop), and this
// fixture's BatchNorm statistics are random, so batch statistics (training mode) are far from them.
const EPOCHS = 16;
const BATCH = 8;
const LEARNING_RATE = 0.01;
const TIMEOUT_MS = 60_000;

interface Expected {
  case: string;
  indices: number[];
  probabilities: number[];
}
const expected = (JSON.parse(fixture('classify/expected.json').toString()) as Expected[]).find((e) => e.case === 'mobilenet/wide.png') as Expected;

let tmp: string;
let site: Awaited<ReturnType<typeof serveDirectory>>;
let hub: HubServer;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

/** A 72x72 PNG of class `k`: bright yellow or dark blue 8-pixel checks, with a little seeded noise. */
function classImage(k: number, seed: number): Buffer {
  const png = new PNG({ width: 72, height: 72 });
  let s = seed * 7919 + 17;
  const noise = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 12;
  for (let y = 0; y < 72; y++) {
    for (let x = 0; x < 72; x++) {
      const check = ((x >> 3) + (y >> 3)) % 2 ? 1 : 0.7;
      const rgb = k === 0 ? [240 * check, 200 * check, 40] : [20, 40 * check, 120 * check];
      png.data.set([...rgb.map((v) => v + noise()), 255], 4 * (y * 72 + x));
    }
  }
  return PNG.sync.write(png);
}

/** Writes the images of class `k` (seeds from `first`) and returns their paths. */
function writeImages(k: number, first: number, count: number): string[] {
  const dir = join(tmp, 'images', CLASSES[k] as string);
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const path = join(dir, `${first + i}.png`);
    writeFileSync(path, classImage(k, first + i));
    return path;
  });
}

/** Waits until the tool panel's action `key` finished (`data-<key>="true"`); fails with the page's message if it ended in an error. */
async function finished(tool: string, key: string): Promise<void> {
  const section = `[data-tool="${tool}"]`;
  await page.waitForSelector(`${section}[data-${key}="true"], ${section}[data-${key}="error"]`, { state: 'attached', timeout: TIMEOUT_MS });
  expect(await page.locator(section).getAttribute('data-error')).toBeNull();
}

/** The rows of a top-classes list as the page shows them. */
function shownClasses(list: string): Promise<{ index: number; label: string; probability: number; text: string }[]> {
  return page.$$eval(`#${list} li`, (rows) =>
    rows.map((row) => {
      const li = row as HTMLElement;
      return { index: Number(li.dataset.index), label: li.dataset.label ?? '', probability: Number(li.dataset.probability), text: li.innerText };
    }),
  );
}

/** Clicks a download link and returns the file's suggested name and bytes. */
async function download(id: string): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
  const path = join(tmp, 'downloads', file.suggestedFilename());
  await file.saveAs(path);
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'netblocks-fine-tune-page-'));
  await build({ root: packageDir, configFile: join(packageDir, 'vite.config.ts'), logLevel: 'warn', build: { outDir: join(tmp, 'dist'), emptyOutDir: true } });
  mkdirSync(join(tmp, 'downloads'));
  site = await serveDirectory(join(tmp, 'dist'));
  hub = await startHubServer({
    [REPO]: { 'config.json': fixture('pretrained/mobilenetv1_025.c10/config.json'), 'model.safetensors': fixture('pretrained/mobilenetv1_025.c10/model.safetensors') },
  });
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await context.newPage();
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(`${site.url}?backend=cpu`);
  await page.waitForSelector('body[data-ready="true"], body[data-error]', { state: 'attached', timeout: TIMEOUT_MS });
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await context?.close();
  await site?.close();
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the classify and fine-tune panels (cpu backend)', () => {
  it('loads the page without fetching weights, on the cpu backend', async () => {
    expect(await page.locator('body').getAttribute('data-error')).toBeNull();
    expect(await page.locator('#backend').getAttribute('data-backend')).toBe('cpu');
    expect(hub.requests).toEqual([]);
  });

  it("loads mobilenetv1_025 from a Hub repository and shows PyTorch's top 5 for wide.png", async () => {
    await page.selectOption('#weights-source', 'hub');
    await page.selectOption('#weights-model', 'mobilenetv1_025');
    await page.fill('#weights-repo', REPO);
    await page.fill('#weights-endpoint', hub.endpoint);
    await page.click('#classify-load');
    await finished('classify', 'model');
    expect(await page.locator('[data-tool="classify"] .status').innerText()).toMatch(/: 10 classes, 64x64 input/);
    expect(await page.locator('#classify-progress').evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([
      fixture('pretrained/mobilenetv1_025.c10/model.safetensors').length,
      fixture('pretrained/mobilenetv1_025.c10/model.safetensors').length,
    ]);

    await page.setInputFiles('#classify-file', join(fixtures, 'classify/wide.png'));
    await finished('classify', 'classified');
    const shown = await shownClasses('classify-top');
    expect(shown.map((c) => c.index)).toEqual(expected.indices);
    expect(shown.map((c) => c.label)).toEqual(expected.indices.map((i) => LABELS[i]));
    expect(shown[0]?.text).toMatch(new RegExp(`^three\\s+${(100 * (expected.probabilities[0] as number)).toFixed(1)}%$`));
    const differences = shown.map((c, i) => Math.abs(c.probability - (expected.probabilities[i] as number)));
    console.info(`classify: largest probability difference from PyTorch ${Math.max(...differences).toExponential(2)}`);
    expect(Math.max(...differences)).toBeLessThan(1e-4);
  });

  it('fine-tunes two classes of images, with the loss falling, and classifies with their names', async () => {
    await page.click('#fine-tune-add-class');
    expect(await page.locator('[data-tool="fine-tune"] .class-card').count()).toBe(3);
    await page.locator('[data-tool="fine-tune"] .class-card').nth(2).locator('.remove').click();
    for (const [k, name] of CLASSES.entries()) {
      await page.fill(`#fine-tune-class-${k + 1}-name`, name);
      await page.setInputFiles(`#fine-tune-class-${k + 1}-files`, writeImages(k, 0, IMAGES_PER_CLASS));
      expect(await page.locator('[data-tool="fine-tune"] .class-card').nth(k).getAttribute('data-images')).toBe(String(IMAGES_PER_CLASS));
    }
    await page.fill('#fine-tune-epochs', String(EPOCHS));
    await page.fill('#fine-tune-freeze', String(EPOCHS));
    await page.fill('#fine-tune-batch', String(BATCH));
    await page.fill('#fine-tune-lr', String(LEARNING_RATE));
    hub.requests.length = 0;
    await page.click('#fine-tune-train');
    await finished('fine-tune', 'trained');
    // The backbone came from the Cache API: no second download.
    expect(hub.requests).toEqual([]);
    const readout = page.locator('#fine-tune-loss');
    const first = Number(await readout.getAttribute('data-first-loss'));
    const last = Number(await readout.getAttribute('data-last-loss'));
    const after = Number(await page.locator('#fine-tune-fit').getAttribute('data-loss'));
    console.info(`fine-tune: loss of the first step ${first.toFixed(4)}, of the last ${last.toFixed(4)}; on the images after training ${after.toFixed(4)}`);
    expect(Number(await readout.getAttribute('data-steps'))).toBe(EPOCHS);
    expect(await readout.innerText()).toMatch(new RegExp(`^epoch ${EPOCHS}/${EPOCHS} \\(classifier only\\), step 1/1: loss `));
    expect(last).toBeLessThan(first);
    expect(after).toBeLessThan(first);
    expect(Number(await page.locator('#fine-tune-fit').getAttribute('data-accuracy'))).toBe(1);

    for (const [k, name] of CLASSES.entries()) {
      await page.setInputFiles('#fine-tune-file', writeImages(k, 100, 1));
      await finished('fine-tune', 'classified');
      const shown = await shownClasses('fine-tune-top');
      console.info(`fine-tune: a new ${name} image: ${shown.map((c) => `${c.label} ${c.probability.toFixed(3)}`).join(', ')}`);
      expect(shown.map((c) => c.label).sort()).toEqual([...CLASSES].sort());
      expect(shown[0]?.label).toBe(name);
    }
  });

  it("downloads TF.js files and safetensors that give the page's logits when reloaded in Node", async () => {
    const json = await download('fine-tune-download-json');
    const weights = await download('fine-tune-download-weights');
    const safetensors = await download('fine-tune-download-safetensors');
    expect([json.name, weights.name, safetensors.name]).toEqual(['mobilenetv1_025-fine-tuned.json', 'mobilenetv1_025-fine-tuned.weights.bin', 'mobilenetv1_025-fine-tuned.safetensors']);

    const modelJson = JSON.parse(json.bytes.toString()) as tf.io.ModelJSON;
    expect(modelJson.weightsManifest.flatMap((g) => g.paths)).toEqual([`./${weights.name}`]);
    const buffer = weights.bytes.buffer.slice(weights.bytes.byteOffset, weights.bytes.byteOffset + weights.bytes.byteLength) as ArrayBuffer;
    const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => [manifest.flatMap((g) => g.weights), buffer]);
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(modelCard(reloaded).labels).toEqual(CLASSES);
    expect(modelCard(reloaded).preprocessing?.crop).toEqual({ resize: 80, size: SIZE, interpolation: 'bilinear' });
    const torch = createModel('mobilenetv1_025', { numClasses: CLASSES.length, inputShape: [SIZE, SIZE, 3] });
    const report = loadTorchWeights(torch, safetensors.bytes);
    expect(report.missing).toEqual([]);

    const shape: [number, number, number, number] = [1, SIZE, SIZE, 3];
    const input = Array.from({ length: SIZE * SIZE * 3 }, (_, i) => 2 * Math.sin(0.37 * i) * Math.cos(0.011 * i));
    const pageLogits = await page.evaluate(([x, s]) => window.netblocksPlayground.logits('fine-tune', x, s), [input, shape] as const);
    const x = tf.tensor4d(input, shape);
    for (const [what, model] of [['model.json + weights.bin', reloaded], ['safetensors', torch]] as const) {
      const y = model.predict(x) as tf.Tensor;
      const logits = Array.from(await y.data());
      y.dispose();
      const difference = Math.max(...logits.map((v, i) => Math.abs(v - (pageLogits[i] as number))));
      console.info(`${what}: logits ${logits.map((v) => v.toFixed(4)).join(', ')}; largest difference from the page's ${difference.toExponential(2)}`);
      expect(logits).toHaveLength(CLASSES.length);
      expect(difference).toBeLessThan(1e-4);
    }
    tf.dispose([x]);
    reloaded.dispose();
    torch.dispose();
  });

  it('had no page errors', () => {
    expect(errors).toEqual([]);
  });
});
