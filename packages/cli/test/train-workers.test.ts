import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { classifierVariables, createModel } from '@netblocks/models';
import { maxWeightsDifference } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/load.js';
import { ArrayAdam, initTrainingBackend, loadCheckpoint, resolveRunConfig, train, trainEpochs, type EpochRecord, type LoopOptions } from '../src/index.js';
import { autoWorkers, mergeResumeConfig } from '../src/train/config.js';
import { startTrainWorkers } from '../src/train/data-parallel.js';
import { TINY_RUN } from './helpers/tiny-run.js';

// The workers run the BUILT entry, dist/train-worker.js (a worker thread cannot load the `.ts`
// sources vitest runs): build the package first (`npx tsup`).

const root = mkdtempSync(join(tmpdir(), 'netblocks-train-workers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('data-parallel training on worker threads', () => {
  let data: ImageSet;
  let initial: tf.Tensor[];
  // 20 digits, batches of 8 (the last one 4), shifts and flips: shards 4+4, 4+4, 2+2.
  const loop: Omit<LoopOptions, 'shards' | 'shardComputer'> = { epochs: 2, batchSize: 8, learningRate: 3e-3, schedule: 'cosine', seed: 5, shift: 2, flip: true };
  const build = (): tf.LayersModel => {
    const model = createModel('shufflenet_v2_x0_5', { numClasses: 10, inputShape: [32, 32, 1] });
    model.setWeights(initial);
    return model;
  };

  beforeAll(async () => {
    await import('@netblocks/models/register');
    await initTrainingBackend('wasm');
    data = loadDataset('mnist', { imageSize: [32, 32], fit: 'pad', channels: 1, trainPerClass: 2, testPerClass: 1 }).train;
    const model = createModel('shufflenet_v2_x0_5', { numClasses: 10, inputShape: [32, 32, 1] });
    initial = model.getWeights().map((w) => tf.clone(w));
    model.dispose();
  });
  afterAll(() => tf.dispose(initial));

  it('2 workers == this thread accumulating gradients over the same 2 shards (losses and weights, BatchNorm statistics from shard 0)', async () => {
    const local = build();
    const localOptimizer = new ArrayAdam(loop.learningRate);
    const tensorsPerEpoch: number[] = [];
    const localRecords = await trainEpochs(local, localOptimizer, data, 10, { epoch: 0, step: 0 }, { ...loop, shards: 2, onEpochEnd: async () => void tensorsPerEpoch.push(tf.memory().numTensors) });
    // Nothing leaks from one epoch to the next.
    expect(tensorsPerEpoch[1]).toBe(tensorsPerEpoch[0]);

    const parallel = build();
    const parallelOptimizer = new ArrayAdam(loop.learningRate);
    const workers = await startTrainWorkers(parallel, 2);
    let parallelRecords: EpochRecord[];
    try {
      parallelRecords = await trainEpochs(parallel, parallelOptimizer, data, 10, { epoch: 0, step: 0 }, { ...loop, shardComputer: workers });
    } finally {
      await workers.close();
    }
    const lossDifference = Math.max(...localRecords.map((r, i) => Math.abs(r.loss - (parallelRecords[i] as EpochRecord).loss) / r.loss));
    const weightDifference = maxWeightsDifference(parallel, local);
    console.log(`2 workers vs 2 local shards: loss rel. diff ${lossDifference.toExponential(2)}, weights max rel. diff ${weightDifference.toExponential(2)}`);
    expect(lossDifference).toBeLessThan(1e-5);
    expect(weightDifference).toBeLessThan(1e-5);
    expect(parallelRecords.map((r) => r.accuracy)).toEqual(localRecords.map((r) => r.accuracy));

    // Not trivially equal: whole batches (BatchNorm over 8 images, not 4) train differently.
    const whole = build();
    const wholeOptimizer = new ArrayAdam(loop.learningRate);
    await trainEpochs(whole, wholeOptimizer, data, 10, { epoch: 0, step: 0 }, loop);
    expect(maxWeightsDifference(whole, local)).toBeGreaterThan(1e-4);
    for (const m of [local, parallel, whole]) m.dispose();
    for (const o of [localOptimizer, parallelOptimizer, wholeOptimizer]) o.dispose();
  });

  it('also while fine-tuning: a frozen backbone (BatchNorm in inference mode, the classifier alone learning), then a slower backbone, label smoothing', async () => {
    const fineTune = { ...loop, freezeEpochs: 1, backboneLrScale: 0.5, labelSmoothing: 0.1 };
    const local = build();
    const localOptimizer = new ArrayAdam(loop.learningRate);
    const localRecords = await trainEpochs(local, localOptimizer, data, 10, { epoch: 0, step: 0 }, { ...fineTune, headVariables: classifierVariables(local), shards: 2 });
    const parallel = build();
    const parallelOptimizer = new ArrayAdam(loop.learningRate);
    const workers = await startTrainWorkers(parallel, 2);
    let parallelRecords: EpochRecord[];
    try {
      parallelRecords = await trainEpochs(parallel, parallelOptimizer, data, 10, { epoch: 0, step: 0 }, { ...fineTune, headVariables: classifierVariables(parallel), shardComputer: workers });
    } finally {
      await workers.close();
    }
    expect(parallelRecords.map((r) => r.frozen)).toEqual([true, undefined]);
    expect(parallelRecords.map((r) => r.loss)).toEqual(localRecords.map((r) => r.loss));
    expect(maxWeightsDifference(parallel, local)).toBeLessThan(1e-5);
    for (const m of [local, parallel]) m.dispose();
    for (const o of [localOptimizer, parallelOptimizer]) o.dispose();
  });

  it('an error in a worker rejects the step with an Error naming the worker and the problem', async () => {
    const model = build();
    const workers = await startTrainWorkers(model, 2);
    try {
      // Images one pixel short of 4 images of 32x32x1.
      const batch = { images: new Float32Array(4 * 32 * 32 - 1), labels: new Int32Array(4), shape: [32, 32, 1] as [number, number, number] };
      await expect(workers.gradients(model, batch, { training: true, learning: [0], numClasses: 10, labelSmoothing: 0 })).rejects.toThrow(/^train worker [12] of 2: .*values/);
    } finally {
      await workers.close();
      model.dispose();
    }
  });

  it('--resume of a 2-worker run ends where the uninterrupted 2-worker run ends', async () => {
    const straight = join(root, 'straight');
    const interrupted = join(root, 'interrupted');
    const run = { ...TINY_RUN, epochs: 2, seed: 3, shift: 2, workers: 2 };
    const a = await train({
      ...run,
      outDir: straight,
      onEpochEnd: (record) => {
        if (record.epoch === 1) cpSync(straight, interrupted, { recursive: true });
      },
    });
    expect(a.config.workers).toBe(2);
    const b = await train({ ...TINY_RUN, epochs: 2, outDir: interrupted, resume: true });
    expect(b.resumedFromEpoch).toBe(1);
    expect(b.config.workers).toBe(2);
    expect(b.history[0]?.loss).toBeCloseTo(a.history[1]?.loss as number, 5);
    expect(maxWeightsDifference(b.model, a.model)).toBeLessThan(1e-5);
    expect(b.evaluation.accuracy).toBe(a.evaluation.accuracy);
    const saved = await loadCheckpoint(straight);
    expect(saved?.state.config.workers).toBe(2);
    tf.dispose(saved?.optimizerWeights.map((w) => w.tensor));
    saved?.model.dispose();
    a.model.dispose();
    b.model.dispose();
  });

  it('`workers` must be a positive integer', async () => {
    await expect(train({ ...TINY_RUN, workers: 0, outDir: join(root, 'bad') })).rejects.toThrow('`workers` must be a positive integer (got workers=0)');
    await expect(train({ ...TINY_RUN, workers: 1.5, outDir: join(root, 'bad') })).rejects.toThrow('`workers` must be a positive integer (got workers=1.5)');
  });

  it("'auto' workers: one per core, at most one per 16 images of a batch, at least one; on resume the run's own", () => {
    expect([autoWorkers(32, 2), autoWorkers(32, 8), autoWorkers(64, 8), autoWorkers(8, 4), autoWorkers(64, 1)]).toEqual([2, 2, 4, 1, 1]);
    expect(resolveRunConfig({ model: 'shufflenet_v2_x0_5', data: 'mnist', batchSize: 8, workers: 'auto' }).workers).toBe(1);
    expect(resolveRunConfig({ model: 'shufflenet_v2_x0_5', data: 'mnist' }).workers).toBe(1);
    const saved = resolveRunConfig({ model: 'shufflenet_v2_x0_5', data: 'mnist', workers: 3 });
    expect(mergeResumeConfig(saved, { model: 'shufflenet_v2_x0_5', data: 'mnist', workers: 'auto' }).workers).toBe(3);
  });
});
