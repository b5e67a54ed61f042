// fineTune / fineTuneStep: the frozen backbone does not move (BatchNorm statistics included), a
// slower backbone gets exactly the step Adam at that rate gives, and a few epochs on a checkpoint from
// the loopback Hub with a new head learn the images.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { startHubServer, useBackend, type HubServer } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPretrainedModel, fineTune } from '../src/node.js';
import { classifierVariables, fineTuneStep, setModelCard } from '../src/index.js';

useBackend('cpu');

const pretrainedDir = fileURLToPath(new URL('./fixtures/pretrained/', import.meta.url));
const classifyDir = fileURLToPath(new URL('./fixtures/classify/', import.meta.url));
const REPO = 'netblocks-fixtures/mobilenetv1_025.c10';
let server: HubServer;
let cache: string;

beforeAll(async () => {
  const read = (name: string) => readFileSync(path.join(pretrainedDir, name));
  server = await startHubServer({ [REPO]: { 'config.json': read('mobilenetv1_025.c10/config.json'), 'model.safetensors': read('mobilenetv1_025.c10/model.safetensors') } });
  cache = await fs.mkdtemp(path.join(os.tmpdir(), 'netblocks-fine-tune-'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(cache, { recursive: true, force: true });
});

// No dropout: the runs are deterministic.
const load = (numClasses: number, size = 64) =>
  createPretrainedModel('mobilenetv1_025', { endpoint: server.endpoint, hubCacheDir: path.join(cache, 'hub'), env: {}, weights: { kind: 'hub', repo: REPO }, inputShape: [size, size, 3], numClasses, dropRate: 0 });

/** Every weight of `model` (trainable or not), by layer name and position. */
function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const layer of model.layers) layer.weights.forEach((w, i) => out.set(`${layer.name}#${i}`, w.read().dataSync() as Float32Array));
  return out;
}
const equal = (a: Float32Array, b: Float32Array | undefined) => b !== undefined && a.every((v, i) => v === b[i]);

describe('fineTuneStep', () => {
  it('frozen: only the classifier moves; a backbone at 0.1x gets the step of an Adam at 0.1x the rate', () => {
    const build = () => {
      const input = tf.input({ shape: [4] });
      const hidden = tf.layers.dense({ units: 3, name: 'backbone', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
      const output = tf.layers.dense({ units: 2, name: 'fc', kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }).apply(hidden) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: output });
    };
    const x = tf.tensor2d([[1, -2, 0.5, 3], [0.1, 0.4, -1, 2]]);
    const y = tf.tensor2d([[1, 0], [0, 1]]);
    const lossOf = (model: tf.LayersModel) => () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;

    const model = build();
    const initial = model.getWeights().map((w) => w.clone());
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const head = classifierVariables(model);
    expect(head.size).toBe(2);
    const optimizer = tf.train.adam(0.01);
    const start = snapshot(model);
    for (let i = 0; i < 3; i++) tf.dispose(fineTuneStep(optimizer, variables, lossOf(model), { head, frozen: true, backboneLrScale: 0.1 }));
    const frozen = snapshot(model);
    expect(equal(frozen.get('backbone#0') as Float32Array, start.get('backbone#0'))).toBe(true);
    expect(equal(frozen.get('fc#0') as Float32Array, start.get('fc#0'))).toBe(false);
    for (let i = 0; i < 4; i++) tf.dispose(fineTuneStep(optimizer, variables, lossOf(model), { head, frozen: false, backboneLrScale: 0.1 }));

    // The reference replays the 7 steps from the same start with one Adam per group, the backbone's
    // at 0.1x the rate: 3 steps with zero backbone gradients (frozen), then 4 with all of them.
    const replay = build();
    replay.setWeights(initial);
    const replayVariables = replay.trainableWeights.map((w) => w.read() as tf.Variable);
    const replayHead = classifierVariables(replay);
    const headAdam: tf.Optimizer = tf.train.adam(0.01);
    const backboneAdam: tf.Optimizer = tf.train.adam(0.001);
    for (let i = 0; i < 7; i++) {
      const { value, grads } = tf.variableGrads(lossOf(replay), replayVariables);
      const headGrads: Record<string, tf.Tensor> = {};
      const backboneGrads: Record<string, tf.Tensor> = {};
      for (const v of replayVariables) {
        if (replayHead.has(v.name)) headGrads[v.name] = grads[v.name] as tf.Tensor;
        else backboneGrads[v.name] = i < 3 ? tf.zerosLike(v) : (grads[v.name] as tf.Tensor);
      }
      headAdam.applyGradients(headGrads);
      backboneAdam.applyGradients(backboneGrads);
      tf.dispose([value, ...Object.values(grads), ...Object.values(backboneGrads)]);
    }
    const mine = model.getWeights().map((w) => w.dataSync());
    const reference = replay.getWeights().map((w) => w.dataSync());
    let worst = 0;
    mine.forEach((values, i) => values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ((reference[i] as Float32Array)[j] as number))))));
    expect(worst).toBeLessThan(1e-6);
    expect(equal(mine[0] as Float32Array, initial[0]?.dataSync() as Float32Array)).toBe(false);
    tf.dispose([x, y, ...initial]);
    [model, replay].forEach((m) => m.dispose());
    [optimizer, headAdam, backboneAdam].forEach((o) => o.dispose());
  });
});

describe('fineTune on a checkpoint with a new head', () => {
  const examples = ['wide.png', 'grey.png', 'tall.png'].flatMap((name, k) => [0, 1].map(() => ({ image: path.join(classifyDir, name), label: k % 2 })));

  it('a frozen warm-up leaves the backbone (and BatchNorm statistics) as loaded', async () => {
    const model = await load(2);
    const before = snapshot(model);
    const fc = model.outputs[0]?.sourceLayer.name as string;
    const history = await fineTune(model, examples, { epochs: 1, freezeEpochs: 1, batchSize: 3 });
    expect(history).toEqual([expect.objectContaining({ epoch: 1, frozen: true })]);
    for (const [name, values] of snapshot(model)) expect(equal(values, before.get(name)), name).toBe(!name.startsWith(`${fc}#`));
    model.dispose();
  });

  it("unfrozen, the backbone trains; BatchNorm's statistics stay (batchNorm 'inference', the default) or move ('train')", async () => {
    const movedBy = async (batchNorm: 'inference' | 'train') => {
      const model = await load(2);
      const before = snapshot(model);
      const history = await fineTune(model, examples, { epochs: 1, freezeEpochs: 0, batchSize: 6, batchNorm });
      expect(history[0]).toMatchObject({ frozen: false });
      expect(Number.isFinite(history[0]?.loss)).toBe(true);
      const moved = [...snapshot(model)].filter(([name, values]) => !equal(values, before.get(name))).map(([name]) => name);
      const bn = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
      model.dispose();
      // A BatchNormalization layer's weights: gamma, beta, then the moving mean and variance.
      return { moved: new Set(moved), bn: bn.map((l) => l.name), total: before.size };
    };
    const frozenStats = await movedBy('inference');
    expect(frozenStats.moved.size).toBeGreaterThan(frozenStats.total / 3);
    for (const name of frozenStats.bn) {
      expect(frozenStats.moved.has(`${name}#0`), `${name} gamma`).toBe(true);
      expect(frozenStats.moved.has(`${name}#2`) || frozenStats.moved.has(`${name}#3`), `${name} statistics`).toBe(false);
    }
    const trained = await movedBy('train');
    for (const name of trained.bn) expect(trained.moved.has(`${name}#2`), `${name} moving mean`).toBe(true);
  });

  it('learns the images: the loss falls, the training accuracy reaches 100 %', async () => {
    // The fixture checkpoint is random, its pooled features nearly alike for every image; a small
    // conv net with a card of its own shows the learning.
    const input = tf.input({ shape: [24, 24, 3] });
    // Seeded initial weights: with the seeded order and flips the run is the same every time.
    let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, name: 'fc', kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }).apply(x) as tf.SymbolicTensor });
    const preprocessing = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], inputRange: [0, 1], channelOrder: 'rgb', crop: { resize: 24, size: 24, interpolation: 'bilinear' }, source: 'test' } as const;
    setModelCard(model, { labels: ['a', 'b'], preprocessing: { ...preprocessing, mean: [...preprocessing.mean], std: [...preprocessing.std], inputRange: [0, 1] } });
    const losses: number[] = [];
    // This net's BatchNorm has never seen data: it learns its statistics ('train').
    const history = await fineTune(model, examples, { epochs: 25, freezeEpochs: 2, batchSize: 6, learningRate: 1e-2, backboneLrScale: 0.5, batchNorm: 'train', seed: 3, onStep: (p) => losses.push(p.loss) });
    expect(history.slice(0, 3).map((h) => h.frozen)).toEqual([true, true, false]);
    console.info(`tiny net: loss ${(losses[0] as number).toFixed(3)} -> ${(losses.at(-1) as number).toFixed(3)}`);
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) / 2);
    expect(history.at(-1)?.accuracy).toBe(1);
    model.dispose();
  });

  it('names bad input', async () => {
    const model = await load(2);
    await expect(fineTune(model, [{ image: path.join(classifyDir, 'wide.png'), label: 2 }])).rejects.toThrow("`examples[0].label` must be a class index below the model's 2 outputs (got examples[0].label=2)");
    await expect(fineTune(model, examples, { freezeEpochs: 9, epochs: 2 })).rejects.toThrow('`freezeEpochs` must be an integer from 0 to the epochs (got freezeEpochs=9)');
    await expect(fineTune(model, [])).rejects.toThrow('`examples` must be at least one image');
    await expect(fineTune(model, examples, { batchNorm: 'frozen' as 'train' })).rejects.toThrow("`batchNorm` must be 'inference' or 'train' (got batchNorm=\"frozen\")");
    model.dispose();
  });
});
