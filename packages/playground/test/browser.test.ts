// The playground in a real browser: Debian's chromium (`pnpm check` installs it when missing: tools/ci/ensure-chromium.mjs), headless, driven by
// playwright-core. Builds the page with vite, serves it, and checks every panel, a model run and
// the digit canvas; keeps a screenshot of each panel in screenshots/ (linked from the README).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDirectory } from './static-server.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const screenshots = join(packageDir, 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const PANELS = ['architecture', 'group-conv', 'channel-shuffle', 'se-gates', 'repvgg', 'token-mixing', 'separable-macs', 'digit'];
const PAGE_TIMEOUT_MS = 60_000;

let tmp: string;
let server: Awaited<ReturnType<typeof serveDirectory>>;
let context: BrowserContext;
/** Console errors and uncaught exceptions of every page, with the page's URL. */
const errors: string[] = [];

async function openPage(query = ''): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${query || 'default'}: console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${query || 'default'}: uncaught: ${error.message}`));
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(`${server.url}${query}`);
  // main.ts sets data-ready on <body> once every panel has run (each panel also gets its own).
  await page.waitForSelector('body[data-ready="true"], body[data-error]', { timeout: PAGE_TIMEOUT_MS });
  return page;
}

/** The panels' data-ready and data-error attributes. */
function panelStates(page: Page): Promise<Record<string, { ready?: string; error?: string }>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('[data-panel]')].map((s) => [s.dataset.panel, { ready: s.dataset.ready, error: s.dataset.error }]),
    ),
  );
}

/** For each canvas of a panel, whether its pixels hold more than one colour. */
function canvasesDrawn(page: Page, panel: string): Promise<Record<string, boolean>> {
  return page.evaluate((name) => {
    const canvases = [...document.querySelectorAll<HTMLCanvasElement>(`[data-panel="${name}"] canvas`)];
    return Object.fromEntries(
      canvases.map((canvas) => {
        const pixels = new Uint32Array((canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data.buffer);
        return [canvas.id, pixels.some((p) => p !== pixels[0])];
      }),
    );
  }, panel);
}

const textOf = (page: Page, id: string) => page.locator(`#${id}`).innerText();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'netblocks-playground-'));
  const outDir = join(tmp, 'dist');
  await build({ root: packageDir, configFile: join(packageDir, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  server = await serveDirectory(outDir);
  // A fresh profile directory every run: playwright takes it as launchPersistentContext's first argument.
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(screenshots, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the playground page (webgl, else wasm)', () => {
  let page: Page;

  beforeAll(async () => {
    page = await openPage();
  });

  it('renders every panel without errors', async () => {
    const states = await panelStates(page);
    expect(Object.keys(states).sort()).toEqual([...PANELS].sort());
    for (const panel of PANELS) expect(states[panel], panel).toEqual({ ready: 'true', error: undefined });
    expect(await page.locator('#backend').getAttribute('data-backend')).toMatch(/^(webgl|wasm)$/);
  });

  it('builds, profiles and runs a registered model, with its latency on the backend in use', async () => {
    const backend = await page.locator('#backend').getAttribute('data-backend');
    expect(await textOf(page, 'model-summary')).toMatch(/^mobilenetv2_035 .*: 1\.69 M parameters, [\d.]+ M MACs at 96x96 in \d+ stages/);
    expect(await textOf(page, 'latency')).toMatch(new RegExp(`^latency: \\d+\\.\\d ms per image \\(${backend}, 1x96x96x3`));
    expect(Number(await page.locator('#latency').getAttribute('data-latency-ms'))).toBeGreaterThan(0);
  });

  it('draws a non-blank picture in every panel', async () => {
    for (const panel of PANELS.filter((p) => p !== 'digit')) {
      const drawn = await canvasesDrawn(page, panel);
      expect(Object.keys(drawn).length, panel).toBeGreaterThan(0);
      for (const [canvas, nonBlank] of Object.entries(drawn)) expect(nonBlank, `${panel}: #${canvas}`).toBe(true);
      await page.locator(`[data-panel="${panel}"]`).screenshot({ path: join(screenshots, `${panel}.png`) });
    }
  });

  it('computes the pictures with the packages: connectivity per group count, shuffle, RepVGG fusion', async () => {
    expect(await textOf(page, 'group-conv-result')).toMatch(/^groups=4: 36 of 144 /);
    await page.selectOption('#groups-select', '3');
    await page.waitForSelector('[data-panel="group-conv"][data-ready="true"]');
    expect(await textOf(page, 'group-conv-result')).toMatch(/^groups=3: 48 of 144 /);
    expect(await textOf(page, 'channel-shuffle-result')).toBe('groups=3: y = x[0,4,8,1,5,9,2,6,10,3,7,11]; channelShufflePermutation agrees: yes');
    expect(Number(await page.locator('#repvgg-result').getAttribute('data-max-output-difference'))).toBeLessThan(1e-4);
    expect(await textOf(page, 'separable-macs-result')).toMatch(/^MACs saved per layer: 7\.9x, 8\.4x, 8\.7x, 8\.8x, 8\.9x$/);
  });

  /** Clears the digit canvas, draws `strokes` (points as fractions of the canvas) with the mouse, returns the prediction. */
  async function drawDigit(strokes: [number, number][][]): Promise<string | null> {
    await page.click('#digit-clear');
    const canvas = page.locator('#digit-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    if (box === null) throw new Error('#digit-canvas is not visible');
    const at = ([fx, fy]: [number, number]): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
    for (const [first, ...rest] of strokes) {
      await page.mouse.move(...at(first as [number, number]));
      await page.mouse.down();
      for (const point of rest) await page.mouse.move(...at(point), { steps: 5 });
      await page.mouse.up();
    }
    await page.waitForSelector('[data-panel="digit"][data-classified="true"]');
    return page.locator('#digit-prediction').getAttribute('data-prediction');
  }

  it('classifies a drawn "0" and "7" as 0 and 7', async () => {
    const ellipse = Array.from({ length: 25 }, (_, i): [number, number] => [0.5 + 0.25 * Math.sin((2 * Math.PI * i) / 24), 0.5 - 0.33 * Math.cos((2 * Math.PI * i) / 24)]);
    expect(await drawDigit([ellipse])).toBe('0');
    expect(await drawDigit([[[0.25, 0.2], [0.72, 0.2], [0.45, 0.85]]])).toBe('7');
  });

  it('classifies a drawn "1" (a vertical stroke) as 1', async () => {
    expect(await drawDigit([[[0.5, 0.15], [0.52, 0.85]]])).toBe('1');
    const drawn = await canvasesDrawn(page, 'digit');
    expect(Object.keys(drawn).sort()).toEqual(['digit-canvas', 'digit-input-canvas', 'digit-probabilities-canvas']);
    for (const [canvas, nonBlank] of Object.entries(drawn)) expect(nonBlank, `digit: #${canvas}`).toBe(true);
    await page.locator('[data-panel="digit"]').screenshot({ path: join(screenshots, 'digit.png') });
  });
});

describe('the playground page on the wasm backend (where webgl is missing)', () => {
  it('renders every panel and runs the model on wasm', async () => {
    const page = await openPage('?backend=wasm');
    expect(await page.locator('#backend').getAttribute('data-backend')).toBe('wasm');
    const states = await panelStates(page);
    for (const panel of PANELS) expect(states[panel], panel).toEqual({ ready: 'true', error: undefined });
    expect(await textOf(page, 'latency')).toMatch(/^latency: \d+\.\d ms per image \(wasm, /);
    await page.close();
  });
});

describe('the console', () => {
  it('has no errors from any page', () => {
    expect(errors).toEqual([]);
  });
});
