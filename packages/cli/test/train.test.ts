import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '@netblocks/core/node';
import { expectTensorsClose } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_POINTER, loadCheckpoint, train } from '../src/index.js';
import { TINY_RUN } from './helpers/tiny-run.js';

const root = mkdtempSync(join(tmpdir(), 'netblocks-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('train: a tiny run end to end on the wasm backend', () => {
  const outDir = join(root, 'run');

  it('trains, checkpoints every epoch, evaluates on the held-out split and saves the model, leaking no tensors', async () => {
    const epochs: number[] = [];
    const before = tf.memory().numTensors;
    const result = await train({ ...TINY_RUN, epochs: 2, outDir, onEpochEnd: (r) => void epochs.push(r.epoch) });
    expect(epochs).toEqual([1, 2]);
    expect(result.history.map((h) => h.images)).toEqual([20, 20]);
    for (const h of result.history) expect(Number.isFinite(h.loss) && h.imagesPerSecond > 0).toBe(true);
    // The evaluation file: the held-out digits (1 per class), accuracy in [0, 1], finite loss.
    const written = JSON.parse(readFileSync(join(outDir, 'eval.json'), 'utf8'));
    expect(written.images).toBe(10);
    expect(written.accuracy).toBe(result.evaluation.accuracy);
    expect(written.accuracy).toBeGreaterThanOrEqual(0);
    expect(written.accuracy).toBeLessThanOrEqual(1);
    expect(Number.isFinite(written.loss)).toBe(true);
    expect(written.inputShape).toEqual([32, 32, 1]);
    expect(written.history).toHaveLength(2);
    // The last checkpoint: epoch 2 after 4 steps, Adam's step count and moments for every weight.
    expect(JSON.parse(readFileSync(join(outDir, CHECKPOINT_POINTER), 'utf8')).epoch).toBe(2);
    const checkpoint = await loadCheckpoint(outDir);
    expect(checkpoint?.state).toMatchObject({ epoch: 2, step: 4 });
    expect(checkpoint?.state.history).toEqual(written.history);
    expect(checkpoint?.optimizerWeights).toHaveLength(1 + 2 * result.model.trainableWeights.length);
    expect(checkpoint?.optimizerWeights[0]?.tensor.dataSync()[0]).toBe(4);
    // The saved model gives the trained model's outputs.
    const x = tf.randomUniform([2, 32, 32, 1]);
    const saved = await loadModel(result.modelDir);
    tf.tidy(() => {
      expectTensorsClose(saved.predict(x) as tf.Tensor, result.model.predict(x) as tf.Tensor, 1e-6);
      expectTensorsClose(checkpoint?.model.predict(x) as tf.Tensor, result.model.predict(x) as tf.Tensor, 1e-6);
    });
    tf.dispose([x, ...(checkpoint?.optimizerWeights.map((w) => w.tensor) ?? [])]);
    checkpoint?.model.dispose();
    saved.dispose();
    result.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to start over a run that has a checkpoint, and to resume where there is none', async () => {
    await expect(train({ ...TINY_RUN, epochs: 1, outDir })).rejects.toThrow(/already holds a training run's checkpoint: pass --resume/);
    await expect(train({ ...TINY_RUN, epochs: 1, outDir: join(root, 'fresh'), resume: true })).rejects.toThrow(/--resume: .*fresh has no checkpoint/);
    expect(existsSync(join(root, 'fresh', CHECKPOINT_POINTER))).toBe(false);
  });

  it('on resume, rejects options that differ from the checkpoint, naming them', async () => {
    await expect(train({ ...TINY_RUN, batchSize: 5, epochs: 3, outDir, resume: true })).rejects.toThrow(/`batchSize` differs .*batchSize=5.*started with 10/);
  });

  it('rejects an unknown model with the closest names, and sizes the architecture cannot take', async () => {
    await expect(train({ ...TINY_RUN, model: 'shufflenet_v2_05', outDir: join(root, 'x') })).rejects.toThrow(/unknown model "shufflenet_v2_05"; did you mean shufflenet_v2_x0_5/);
    await expect(train({ ...TINY_RUN, imageSize: 16, outDir: join(root, 'y') })).rejects.toThrow(/`imageSize` must be at least 32 .*imageSize=16/);
    await expect(train({ ...TINY_RUN, widthMultiplier: 0.5, outDir: join(root, 'z') })).rejects.toThrow(/widthMultiplier/);
  });
});
