import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@netblocks/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArrayAdam, loadCheckpoint, saveCheckpoint } from '../src/index.js';
import { checkpointFileOps } from '../src/train/checkpoint.js';

useBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'netblocks-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const original = { ...checkpointFileOps };
afterEach(() => Object.assign(checkpointFileOps, original));

/** A small model and an Adam that has taken one step, so that it has moments to save. */
function tinyTraining(): { model: tf.LayersModel; optimizer: ArrayAdam; step: () => void } {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], name: 'fc' })] });
  const optimizer = new ArrayAdam(0.1);
  const x = tf.ones([2, 4]);
  const step = () => void optimizer.minimize(() => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar);
  step();
  return { model, optimizer, step };
}

const kernelOf = async (outDir: string) => {
  const c = await loadCheckpoint(outDir);
  const kernel = Array.from(c?.model.getWeights()[0]?.dataSync() ?? []);
  c?.model.dispose();
  tf.dispose(c?.optimizerWeights.map((w) => w.tensor));
  return { epoch: c?.state.epoch, kernel };
};

describe('checkpoints are atomic: a failed save leaves the previous one loadable', () => {
  const outDir = join(root, 'run');
  let training: ReturnType<typeof tinyTraining>;
  let epoch1Kernel: number[];

  beforeAll(async () => {
    training = tinyTraining();
    await saveCheckpoint(outDir, training.model, training.optimizer, { epoch: 1, step: 1, config: { model: 'tiny' }, history: [] });
    epoch1Kernel = Array.from(training.model.getWeights()[0]?.dataSync() ?? []);
    training.step();
  });

  it('round-trips model, optimizer slots (step count, moments) and state', async () => {
    const c = await loadCheckpoint(outDir);
    expect(c?.state).toEqual({ epoch: 1, step: 1, config: { model: 'tiny' }, history: [] });
    expect(c?.optimizerWeights.map((w) => w.name)).toEqual(['iter', 'fc/kernel/m', 'fc/bias/m', 'fc/kernel/v', 'fc/bias/v']);
    expect(c?.optimizerWeights[0]?.tensor.dataSync()[0]).toBe(1);
    expect(c?.adamProducts?.[0]).toBeCloseTo(0.81, 6);
    expect(Array.from(c?.model.getWeights()[0]?.dataSync() ?? [])).toEqual(epoch1Kernel);
    c?.model.dispose();
    tf.dispose(c?.optimizerWeights.map((w) => w.tensor));
  });

  it('a write that fails mid-save (the state file) leaves epoch 1 and no temp files', async () => {
    checkpointFileOps.writeFileDurably = async (file, data) => {
      if (file.endsWith('state.json')) throw new Error('disk full');
      return original.writeFileDurably(file, data);
    };
    await expect(saveCheckpoint(outDir, training.model, training.optimizer, { epoch: 2, step: 2, config: {}, history: [] })).rejects.toThrow(/epoch 2 .*disk full/);
    expect(await kernelOf(outDir)).toEqual({ epoch: 1, kernel: epoch1Kernel });
    expect(readdirSync(join(outDir, 'checkpoints'))).toEqual(['epoch-0001']);
  });

  it('a failure while switching the pointer leaves epoch 1 and removes the new directory', async () => {
    checkpointFileOps.rename = async (from, to) => {
      if (to.endsWith('checkpoint.json')) throw new Error('EIO');
      return original.rename(from, to);
    };
    await expect(saveCheckpoint(outDir, training.model, training.optimizer, { epoch: 2, step: 2, config: {}, history: [] })).rejects.toThrow(/EIO/);
    expect(await kernelOf(outDir)).toEqual({ epoch: 1, kernel: epoch1Kernel });
    expect(readdirSync(join(outDir, 'checkpoints'))).toEqual(['epoch-0001']);
    expect(readdirSync(outDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('after a crash (leftover temp and orphan directories), the next save succeeds and cleans up', async () => {
    // What a process killed mid-save leaves: a half-written temp directory and a complete epoch
    // directory that the pointer never named.
    mkdirSync(join(outDir, 'checkpoints', '.epoch-0002.saving-abc123', 'model'), { recursive: true });
    writeFileSync(join(outDir, 'checkpoints', '.epoch-0002.saving-abc123', 'optimizer.bin'), 'half');
    mkdirSync(join(outDir, 'checkpoints', 'epoch-0002'));
    expect((await kernelOf(outDir)).epoch).toBe(1);
    await saveCheckpoint(outDir, training.model, training.optimizer, { epoch: 2, step: 2, config: {}, history: [] });
    const now = await kernelOf(outDir);
    expect(now.epoch).toBe(2);
    expect(now.kernel).toEqual(Array.from(training.model.getWeights()[0]?.dataSync() ?? []));
    expect(now.kernel).not.toEqual(epoch1Kernel);
    expect(readdirSync(join(outDir, 'checkpoints'))).toEqual(['epoch-0002']);
  });

  it('reports no checkpoint for a directory without one', async () => {
    expect(await loadCheckpoint(join(root, 'none'))).toBeNull();
    expect(existsSync(join(root, 'none'))).toBe(false);
  });
});
