import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { maxWeightsDifference } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, train } from '../src/index.js';
import { TINY_RUN } from './helpers/tiny-run.js';

const root = mkdtempSync(join(tmpdir(), 'netblocks-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('--resume ends where an uninterrupted run ends', () => {
  it('2 epochs straight == 1 epoch, stop, resume for the 2nd (weights, BatchNorm statistics, Adam state, schedule, shuffling, shifts)', async () => {
    const straight = join(root, 'straight');
    const interrupted = join(root, 'interrupted');
    // The uninterrupted run. Its output directory after epoch 1 (checkpoint written) is copied:
    // that copy is a run stopped after epoch 1.
    const a = await train({
      ...TINY_RUN,
      epochs: 2,
      seed: 7,
      shift: 2,
      outDir: straight,
      onEpochEnd: (record) => {
        if (record.epoch === 1) cpSync(straight, interrupted, { recursive: true });
      },
    });
    const stopped = await loadCheckpoint(interrupted);
    expect(stopped?.state.epoch).toBe(1);
    const b = await train({ ...TINY_RUN, epochs: 2, seed: 7, shift: 2, outDir: interrupted, resume: true });
    expect(b.resumedFromEpoch).toBe(1);
    expect(b.history.map((h) => h.epoch)).toEqual([2]);
    expect(b.history[0]?.loss).toBeCloseTo(a.history[1]?.loss as number, 5);
    expect(b.history[0]?.learningRate).toBe(a.history[1]?.learningRate);
    expect(maxWeightsDifference(b.model, a.model)).toBeLessThan(1e-5);
    // Not trivially equal: the second epoch moved the weights away from the checkpoint.
    expect(maxWeightsDifference(stopped?.model as tf.LayersModel, a.model)).toBeGreaterThan(1e-3);
    // The resumed run's evaluation is the uninterrupted one's.
    expect(b.evaluation.accuracy).toBe(a.evaluation.accuracy);
    tf.dispose(stopped?.optimizerWeights.map((w) => w.tensor));
    stopped?.model.dispose();
    a.model.dispose();
    b.model.dispose();
  });
});
