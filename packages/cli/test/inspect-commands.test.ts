import { formatCount, summary } from '@netblocks/core';
import { createModel, getModelInfo, listModels } from '@netblocks/models';
import { useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { formatZooMarkdown, type BenchReport, type ModelListing, type ZooReport } from '../src/index.js';
import { oneLineFailure, runMain } from './helpers/run-main.js';

useBackend('wasm');

describe('netblocks list', () => {
  it('lists the registry figures of the names containing a word, as a table and as JSON', async () => {
    const json = await runMain('list', 'shufflenet_v2', '--json');
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as ModelListing[];
    expect(rows.map((r) => r.name)).toEqual(['shufflenet_v2_x0_5', 'shufflenet_v2_x1_0', 'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0']);
    for (const row of rows) {
      const info = getModelInfo(row.name);
      expect(row).toEqual({
        name: row.name,
        family: info.family,
        inputSize: info.inputSize,
        minInputSize: info.minInputSize,
        params: info.reference.totalParams,
        trainableParams: info.reference.trainableParams,
        macs: info.reference.macs ?? null,
      });
    }
    const text = await runMain('list', 'shufflenet_v2');
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^model +family +input +params +MACs$/);
    expect(lines[2]).toMatch(new RegExp(`^shufflenet_v2_x0_5 +shufflenet_v2 +224 +${formatCount(rows[0]?.params as number).replace('.', '\\.')} +`));
    expect(lines.at(-1)).toBe('4 models (figures of the reference networks at their default input size)');
  });

  it('takes * patterns as listModels does, lists everything without one, and refuses a pattern nothing matches', async () => {
    expect((JSON.parse((await runMain('list', 'resnext*', '--json')).stdout) as ModelListing[]).map((r) => r.name)).toEqual(listModels('resnext*'));
    expect(JSON.parse((await runMain('list', '--json')).stdout)).toHaveLength(listModels().length);
    expect(oneLineFailure(await runMain('list', 'shufflenet_v3*'))).toMatch(/^netblocks list: no model matches "shufflenet_v3\*"; did you mean shufflenet_v2_/);
    expect(oneLineFailure(await runMain('list', 'a', 'b'))).toBe('netblocks list: unexpected argument "b" (netblocks list [pattern])');
  });
});

describe('netblocks summary', () => {
  it("prints core's summary table of the model built with the options, and its profile as JSON", async () => {
    const text = await runMain('summary', 'shufflenet_v2_x0_5', '--image-size', '32', '--classes', '10');
    expect(text.code, text.stderr).toBe(0);
    const model = createModel('shufflenet_v2_x0_5', { numClasses: 10, inputShape: [32, 32, 3] });
    expect(text.stdout).toBe(`${summary(model)}\n`);
    const json = await runMain('summary', 'shufflenet_v2_x0_5', '--image-size', '32', '--classes', '10', '--json');
    const p = JSON.parse(json.stdout);
    expect(p).toMatchObject({ model: 'shufflenet_v2_x0_5', inputShape: [32, 32, 3], totalParams: model.countParams() });
    expect(p.layers.at(-1)).toMatchObject({ name: 'fc', className: 'Dense', outputShape: [null, 10], params: 1024 * 10 + 10 });
    model.dispose();
  });

  it('suggests names for an unknown model and names the option of a size the model cannot take', async () => {
    expect(oneLineFailure(await runMain('summary', 'mobilenet_v2_035'))).toMatch(/^netblocks summary: unknown model "mobilenet_v2_035"; did you mean mobilenetv2_035/);
    expect(oneLineFailure(await runMain('summary', 'vgg16', '--image-size', '64'))).toBe(
      'netblocks summary: --image-size must be 224 for vgg16: its classifier takes only that size (got --image-size=64)',
    );
    expect(oneLineFailure(await runMain('summary', 'shufflenet_v2_x0_5', '--image-size', '16'))).toMatch(/--image-size must be at least 32 .*got --image-size=16/);
    expect(oneLineFailure(await runMain('summary'))).toBe('netblocks summary: missing <model> (netblocks summary <model>)');
  });
});

describe('netblocks zoo', () => {
  it('builds, profiles and times each model matching --filter at its resolution, with a progress line per model', async () => {
    const run = await runMain('zoo', '--filter', 'shufflenet_v2_x0_5', '--runs', '1', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ZooReport;
    expect(report).toMatchObject({ backend: 'wasm', runs: 1 });
    expect(report.machine).toMatch(/Node .*tfjs 4\.22\.0, wasm backend/);
    const [row] = report.models;
    const info = getModelInfo('shufflenet_v2_x0_5');
    expect(report.models).toHaveLength(1);
    expect(row).toMatchObject({ name: 'shufflenet_v2_x0_5', family: info.family, inputSize: 224, params: info.reference.totalParams });
    expect(Math.abs((row?.macs as number) / (info.reference.macs as number) - 1)).toBeLessThan(0.01);
    expect(row?.latencyMs).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/^zoo \[#{20}\] 1\/1 {2}shufflenet_v2_x0_5 [\d.]+ ms {2}in \d+s$/m);
    const markdown = formatZooMarkdown(report);
    expect(markdown).toContain('| model | input | params | MACs | wasm ms (batch 1) | GMAC/s |');
    expect(markdown).toContain(`| shufflenet_v2_x0_5 | 224 | 1.37 M | 40.48 M | ${row?.latencyMs.toFixed(1)} |`);
  });

  it('refuses a filter nothing matches and a bad --runs', async () => {
    expect(oneLineFailure(await runMain('zoo', '--filter', 'resnet9*'))).toMatch(/^netblocks zoo: no model matches "resnet9\*"; did you mean /);
    expect(oneLineFailure(await runMain('zoo', '--runs', '0'))).toBe('netblocks zoo: --runs must be a positive integer (got --runs=0)');
  });
});

describe('netblocks bench', () => {
  it('times each model plain and optimized at the batch and size given, and reports per image and the speed-up', async () => {
    const run = await runMain('bench', 'shufflenet_v2_x0_5', 'mobilenetv2_035', '--image-size', '32', '--batch', '2', '--runs', '2', '--warmup', '1', '--optimized', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as BenchReport;
    expect(report).toMatchObject({ backend: 'wasm', runs: 2, warmup: 1 });
    expect(report.models.map((r) => r.model)).toEqual(['shufflenet_v2_x0_5', 'mobilenetv2_035']);
    for (const row of report.models) {
      expect(row).toMatchObject({ inputShape: [32, 32, 3], batch: 2, msPerImage: row.ms / 2 });
      expect(row.optimized?.msPerImage).toBe((row.optimized?.ms as number) / 2);
      expect(row.optimized?.speedup).toBe(row.ms / (row.optimized?.ms as number));
      // The optimized model computes the same outputs.
      expect(row.optimized?.maxRelativeDifference).toBeLessThan(1e-4);
    }
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^bench \[#{10}-{10}\] 1\/2 {2}shufflenet_v2_x0_5 [\d.]+ ms\/image \(optimized [\d.]+\) {2}ETA \d+s$/),
      expect.stringMatching(/^bench \[#{20}\] 2\/2 {2}mobilenetv2_035 /),
    ]);
  });

  it('prints a table without --json, plain only without --optimized', async () => {
    const run = await runMain('bench', 'mobilenetv2_035', '--image-size', '32', '--runs', '1', '--warmup', '0', '--backend', 'cpu', '--channels', '1');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/cpu backend; median of 1 runs after 0 warm-up runs$/);
    expect(lines[2]).toMatch(/^model +input +batch +ms +ms\/image$/);
    expect(lines[4]).toMatch(/^mobilenetv2_035 +32x32x1 +1 +[\d.]+ +[\d.]+$/);
  });

  it('refuses no model, an unknown one and bad numbers, in one line', async () => {
    expect(oneLineFailure(await runMain('bench'))).toBe('netblocks bench: missing <model...> (netblocks bench <model...>)');
    expect(oneLineFailure(await runMain('bench', 'shufflenet_v2_x0_5', 'shufflenetv2_x1'))).toMatch(/^netblocks bench: unknown model "shufflenetv2_x1"; did you mean shufflenet_v2_x1_0/);
    expect(oneLineFailure(await runMain('bench', 'shufflenet_v2_x0_5', '--batch', '1.5'))).toBe('netblocks bench: --batch must be a positive integer (got --batch=1.5)');
    expect(oneLineFailure(await runMain('bench', 'shufflenet_v2_x0_5', '--backend', 'webgl'))).toBe('netblocks bench: --backend must be one of wasm, cpu (got --backend=webgl)');
  });
});
