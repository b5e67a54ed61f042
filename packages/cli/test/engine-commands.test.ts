// `--engine` of bench and classify: onnxruntime-node (a dev dependency here, an optional peer for
// users) runs each model's ONNX export, with the TF.js engine's answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '@netblocks/core/node';
import { createModel, setModelCard, type Classification } from '@netblocks/models';
import { randomizeBatchNorms, useBackend } from '@netblocks/test-utils';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/index.js';
import { oneLineFailure, runMain } from './helpers/run-main.js';

useBackend('wasm');

describe('netblocks bench --engine', () => {
  it('times each model through onnxruntime-node, plain and optimized, with the same outputs', async () => {
    const run = await runMain('bench', 'mobilenetv2_035', '--image-size', '32', '--batch', '2', '--runs', '2', '--warmup', '1', '--optimized', '--engine', 'onnxruntime', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as BenchReport;
    expect(report).toMatchObject({ engine: 'onnxruntime-node', threads: 1, runs: 2, warmup: 1 });
    const [row] = report.models;
    expect(row).toMatchObject({ model: 'mobilenetv2_035', inputShape: [32, 32, 3], batch: 2 });
    expect(row?.optimized?.maxRelativeDifference).toBeLessThan(1e-4);
  });

  it('names the engine and its threads in the table; tfjs stays the default', async () => {
    const native = await runMain('bench', 'shufflenet_v2_x0_5', '--image-size', '32', '--runs', '1', '--warmup', '0', '--engine', 'onnxruntime', '--threads', '2');
    expect(native.code, native.stderr).toBe(0);
    expect(native.stdout.split('\n')[0]).toMatch(/; onnxruntime-node, 2 threads; median of 1 runs after 0 warm-up runs$/);
    const plain = await runMain('bench', 'shufflenet_v2_x0_5', '--image-size', '32', '--runs', '1', '--warmup', '0', '--json');
    expect(JSON.parse(plain.stdout)).toMatchObject({ engine: 'tfjs', backend: 'wasm' });
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('threads');
  });

  it('refuses a bad --engine and a bad --threads, in one line', async () => {
    expect(oneLineFailure(await runMain('bench', 'shufflenet_v2_x0_5', '--engine', 'onnx'))).toBe('netblocks bench: --engine must be one of tfjs, onnxruntime, auto (got --engine=onnx)');
    expect(oneLineFailure(await runMain('bench', 'shufflenet_v2_x0_5', '--threads', '0'))).toBe('netblocks bench: --threads must be a positive integer (got --threads=0)');
  });
});

describe('netblocks classify --engine', () => {
  const root = mkdtempSync(join(tmpdir(), 'netblocks-engine-commands-'));
  const modelDir = join(root, 'model');
  const images = [0, 1, 2].map((i) => join(root, `noise${i}.png`));

  beforeAll(async () => {
    const model = createModel('shufflenet_v2_x0_5', { numClasses: 4, inputShape: [32, 32, 3] });
    randomizeBatchNorms(model);
    setModelCard(model, {
      labels: ['ant', 'bee', 'cat', 'dog'],
      preprocessing: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], inputRange: [0, 1], channelOrder: 'rgb', crop: { resize: 36, size: 32, interpolation: 'bilinear' }, source: 'test' },
    });
    await saveModel(model, modelDir);
    model.dispose();
    images.forEach((file, i) => {
      const png = new PNG({ width: 40 + i, height: 37 });
      for (let p = 0; p < png.data.length; p++) png.data[p] = p % 4 === 3 ? 255 : (p * (7 + i) * 2654435761) % 251;
      writeFileSync(file, PNG.sync.write(png));
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("prints the TF.js engine's classes, probabilities within 1e-4", async () => {
    type Row = { image: string; classes: Classification[] };
    const tfjs = await runMain('classify', modelDir, ...images, '--topk', '3', '--json');
    const native = await runMain('classify', modelDir, ...images, '--topk', '3', '--json', '--engine', 'onnxruntime');
    expect(tfjs.code, tfjs.stderr).toBe(0);
    expect(native.code, native.stderr).toBe(0);
    const [a, b] = [JSON.parse(tfjs.stdout) as Row[], JSON.parse(native.stdout) as Row[]];
    expect(b.map((r) => r.classes.map((c) => c.label))).toEqual(a.map((r) => r.classes.map((c) => c.label)));
    b.forEach((row, i) => row.classes.forEach((c, k) => expect(Math.abs(c.probability - (a[i]?.classes[k]?.probability as number))).toBeLessThanOrEqual(1e-4)));
  });

  it('refuses a bad --engine, in one line', async () => {
    expect(oneLineFailure(await runMain('classify', modelDir, images[0] as string, '--engine', 'gpu'))).toBe('netblocks classify: --engine must be one of tfjs, onnxruntime, auto (got --engine=gpu)');
  });
});
