import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const out = mkdtempSync(join(tmpdir(), 'netblocks-demo-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the demo, shortened (one small epoch), end to end', () => {
  it('trains, optimizes with unchanged outputs, saves, reloads in a fresh process with the same accuracy, and reports', () => {
    const stdout = execFileSync(process.execPath, [resolve(__dirname, '../demo.mjs'), '--quick', '--json', '--out', out], { encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(report).toMatchObject({ model: 'shufflenet_v2_x0_5', quick: true, inputShape: [40, 40, 1], epochs: 1, trainImages: 300, testImages: 100, passed: true });
    expect(report.accuracy).toBeGreaterThanOrEqual(0);
    expect(report.accuracy).toBeLessThanOrEqual(1);
    expect(report.optimizedMaxRelativeDiff).toBeLessThanOrEqual(1e-4);
    expect(report.reloadedAccuracy).toBe(report.optimizedAccuracy);
    expect(report.trainImagesPerSecond).toBeGreaterThan(0);
    expect(report.latencyMs.trained).toBeGreaterThan(0);
    expect(report.latencyMs.optimized).toBeGreaterThan(0);
    // The optimized model on disk (model.json + shards) is what was measured and reloaded.
    expect(report.modelDir).toBe(join(out, 'optimized'));
    expect(readdirSync(report.modelDir)).toContain('model.json');
    expect(report.modelBytes).toBeGreaterThan(100_000);
    expect(existsSync(join(out, 'train', 'eval.json'))).toBe(true);
  });
});
