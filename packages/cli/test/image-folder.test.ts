import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelCounts, loadImageFolder, type SkippedImage } from '../src/index.js';
import { makeImageFolder } from './helpers/images.js';

const root = mkdtempSync(join(tmpdir(), 'netblocks-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadImageFolder: one sub-folder per class of PNG / JPEG images', () => {
  const dir = join(root, 'flat');
  const { corrupt } = makeImageFolder(dir, 10);

  it('decodes PNG and JPEG, resizes to the input, labels by sorted folder name, reports damaged files by path and skips them', () => {
    const reported: SkippedImage[] = [];
    const data = loadImageFolder(dir, { imageSize: [8, 8], channels: 3, onSkip: (s) => reported.push(s) });
    expect(data.classNames).toEqual(['dark', 'light']);
    expect(data.skipped.map((s) => s.path).sort()).toEqual([...corrupt].sort());
    expect(reported).toEqual(data.skipped);
    for (const s of data.skipped) expect(s.reason.length).toBeGreaterThan(0);
    // 10 good images per class, 20 % of each (2) held out; the damaged ones are in neither split.
    expect(labelCounts(data.train, 2).map((n, i) => n + (labelCounts(data.test, 2)[i] as number))).toEqual([10, 10]);
    expect(data.train.shape).toEqual([8, 8, 3]);
    expect(data.train.images.length).toBe(data.train.labels.length * 8 * 8 * 3);
    // Solid colours survive decoding and resizing: dark PNG pixels 20/255, light JPEG ones ~230/255.
    data.train.labels.forEach((label, i) => {
      const pixel = data.train.images[i * 192 + 100] as number;
      if (label === 0) expect(pixel).toBeCloseTo(20 / 255, 5);
      else expect(Math.abs(pixel - 230 / 255)).toBeLessThan(3 / 255);
    });
  });

  it('splits deterministically, converts to grey, and honours per-class limits', () => {
    const a = loadImageFolder(dir, { imageSize: [4, 6], channels: 1 });
    const b = loadImageFolder(dir, { imageSize: [4, 6], channels: 1 });
    expect(a.test.images).toEqual(b.test.images);
    expect(a.train.shape).toEqual([4, 6, 1]);
    const small = loadImageFolder(dir, { imageSize: [4, 4], trainPerClass: 3, testPerClass: 1 });
    expect(labelCounts(small.train, 2)).toEqual([3, 3]);
    expect(labelCounts(small.test, 2).every((n) => n <= 1)).toBe(true);
  });

  it('uses train/ and test/ sub-folders as the split when the folder has them', () => {
    const split = join(root, 'split');
    makeImageFolder(join(split, 'train'), 4);
    mkdirSync(join(split, 'test'));
    makeImageFolder(join(split, 'test-tmp'), 2);
    renameSync(join(split, 'test-tmp', 'dark'), join(split, 'test', 'dark'));
    renameSync(join(split, 'test-tmp', 'light'), join(split, 'test', 'light'));
    rmSync(join(split, 'test-tmp'), { recursive: true });
    const data = loadImageFolder(split, { imageSize: [5, 5] });
    expect(labelCounts(data.train, 2)).toEqual([4, 4]);
    expect(labelCounts(data.test, 2)).toEqual([2, 2]);
    expect(data.skipped).toHaveLength(4);
  });

  it('rejects a missing folder or one without class folders, naming --data', () => {
    expect(() => loadImageFolder(join(root, 'nope'), { imageSize: [4, 4] })).toThrow(/--data: .*nope is not a directory/);
    mkdirSync(join(root, 'empty'));
    expect(() => loadImageFolder(join(root, 'empty'), { imageSize: [4, 4] })).toThrow(/at least two \(found 0\)/);
  });
});
