// Fine-tuning: from a model `netblocks train` saved (digits 0-4 -> 5-9) and from a published
// checkpoint on the loopback Hub (@netblocks/models' fixtures), with a frozen-backbone warm-up,
// a slower backbone, augmentation, label smoothing, a validation split and the best epoch kept;
// the saved model carries its class names, which classify prints.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import { loadModel } from '@netblocks/core/node';
import { modelCard } from '@netblocks/models';
import { classify } from '@netblocks/models/node';
import { PNG } from 'pngjs';
import { startHubServer, type HubServer } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../src/index.js';
import { TINY_RUN } from './helpers/tiny-run.js';
import { runMain } from './helpers/run-main.js';

const root = mkdtempSync(join(tmpdir(), 'netblocks-fine-tune-'));
const fixtures = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../models/test/fixtures/pretrained');
const fixture = (name: string) => readFileSync(join(fixtures, name));
const saved = { ...process.env };
const TORCHVISION_FILE = 'shufflenetv2_x0.5_c10-2166d2dd6b.pth';
let hub: HubServer;

beforeAll(async () => {
  hub = await startHubServer(
    { 'netblocks-fixtures/mobilenetv1_025.c10': { 'config.json': fixture('mobilenetv1_025.c10/config.json'), 'model.safetensors': fixture('mobilenetv1_025.c10/model.safetensors') } },
    { [TORCHVISION_FILE]: fixture(TORCHVISION_FILE) },
  );
  Object.assign(process.env, { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: join(root, 'hub'), TORCH_HOME: join(root, 'torch') });
  delete process.env.HF_HUB_OFFLINE;
});
afterAll(async () => {
  process.env = saved;
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

/** Every weight of `model`, by layer and weight name. */
function weightsOf(model: tf.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const layer of model.layers) layer.weights.forEach((w, i) => out.set(`${layer.name}/${i}:${w.originalName}`, w.read().dataSync() as Float32Array));
  return out;
}
const same = (a: Float32Array | undefined, b: Float32Array | undefined) => a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

describe('fine-tuning a model netblocks train saved (digits 0-4 -> 5-9)', () => {
  const base = join(root, 'digits-0-4');
  const tuned = join(root, 'digits-5-9');

  it('freezes the backbone (BatchNorm statistics too) for --freeze-epochs, then trains it; keeps the best epoch; saves the labels', async () => {
    const first = await train({ ...TINY_RUN, data: 'mnist:0-4', epochs: 1, outDir: base });
    expect(first.dataset.classNames).toEqual(['0', '1', '2', '3', '4']);
    const baseWeights = weightsOf(first.model);
    first.model.dispose();

    const options = { ...TINY_RUN, data: 'mnist:5-9', trainPerClass: 6, pretrained: join(base, 'model'), freezeEpochs: 1, valFraction: 0.34, flip: true, randomResizedCrop: true, labelSmoothing: 0.1, outDir: tuned } as const;
    const warm = await train({ ...options, epochs: 1 });
    expect(warm.history[0]?.frozen).toBe(true);
    const afterWarmUp = weightsOf(warm.model);
    warm.model.dispose();
    const classifier = 'fc';
    for (const [name, values] of afterWarmUp) {
      // Every backbone weight, BatchNorm's moving statistics included, is the 0-4 model's; the new classifier moved.
      if (name.startsWith(`${classifier}/`)) expect(same(values, baseWeights.get(name)), name).toBe(false);
      else expect(same(values, baseWeights.get(name)), name).toBe(true);
    }
    // Validation: 2 of each class's 6 images; the best epoch's model in best/.
    const evalJson = JSON.parse(readFileSync(join(tuned, 'eval.json'), 'utf8'));
    expect([evalJson.trainImages, evalJson.validationImages]).toEqual([20, 10]);
    expect(evalJson.bestValAccuracy).toBe(evalJson.history[0].valAccuracy);
    expect(evalJson.config).toMatchObject({ pretrained: join(base, 'model'), freezeEpochs: 1, backboneLrScale: 0.1, labelSmoothing: 0.1, flip: true, randomResizedCrop: true });

    // Resumed past the warm-up, the backbone trains (and its BatchNorm statistics move).
    const unfrozen = await train({ ...options, epochs: 2, resume: true, pretrained: undefined });
    expect(unfrozen.history.map((h) => h.frozen ?? false)).toEqual([false]);
    const afterUnfreeze = weightsOf(unfrozen.model);
    unfrozen.model.dispose();
    const moved = [...afterUnfreeze].filter(([name, values]) => !name.startsWith(`${classifier}/`) && !same(values, afterWarmUp.get(name)));
    expect(moved.length).toBeGreaterThan(afterUnfreeze.size / 2);
    expect(moved.some(([name]) => name.endsWith('moving_mean'))).toBe(true);

    const model = await loadModel(join(tuned, 'model'));
    expect(modelCard(model).labels).toEqual(['5', '6', '7', '8', '9']);
    expect(modelCard(model).preprocessing).toMatchObject({ fit: 'pad', crop: { size: 32 }, mean: [0, 0, 0], std: [1, 1, 1] });
    model.dispose();
    (await loadModel(join(tuned, 'best'))).dispose();
  });

  it('classify on the fine-tuned model prints the class names', async () => {
    const digit = join(root, 'digit.png');
    const png = new PNG({ width: 28, height: 28 });
    png.data.fill(0);
    for (let y = 6; y < 22; y++) for (let x = 12; x < 16; x++) png.data.set([255, 255, 255, 255], (y * 28 + x) * 4);
    for (let p = 3; p < png.data.length; p += 4) png.data[p] = 255;
    writeFileSync(digit, PNG.sync.write(png));
    const model = await loadModel(join(tuned, 'model'));
    const top = await classify(model, digit, { topk: 5 });
    expect(top.map((t) => t.label).sort()).toEqual(['5', '6', '7', '8', '9']);
    model.dispose();
    const text = await runMain('classify', join(tuned, 'model'), digit, '--topk', '2');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/digit\.png\n +[5-9] +\d+\.\d+ %\n +[5-9] +\d+\.\d+ %\n/);
    const json = await runMain('classify', join(tuned, 'model'), digit, digit, '--topk', '5', '--json');
    const parsed = JSON.parse(json.stdout) as { image: string; classes: { label: string; index: number; probability: number }[] }[];
    expect(parsed.map((p) => p.image)).toEqual([digit, digit]);
    expect(parsed[0]?.classes.map((c) => c.label)).toEqual(top.map((t) => t.label));
    expect(parsed[0]?.classes.reduce((sum, c) => sum + c.probability, 0)).toBeCloseTo(1, 5);
    expect((await runMain('classify', join(tuned, 'model'))).code).toBe(1);
  });

  it('refuses weights that do not fit, naming the option', async () => {
    await expect(train({ ...TINY_RUN, data: 'mnist:5-9', pretrained: join(base, 'model'), model: 'mobilenetv2_035', epochs: 1, outDir: join(root, 'wrong') })).rejects.toThrow(/--weights: .* has no layer .*it is not a/);
    await expect(train({ ...TINY_RUN, data: 'mnist', freezeEpochs: 1, epochs: 1, outDir: join(root, 'no-pretrained') })).rejects.toThrow('`freezeEpochs` must be 0 without pretrained weights');
    await expect(train({ ...TINY_RUN, data: 'mnist:7', epochs: 1, outDir: join(root, 'one-digit') })).rejects.toThrow('selects 1 digit; a classifier needs at least 2');
  });
});

describe('fine-tuning a published checkpoint (the loopback Hub and file server)', () => {
  const data = join(root, 'shapes');

  it('loads the backbone from hub:<repo> with a new head for the folder classes and trains on the checkpoint preprocessing', async () => {
    for (const [name, fill] of [['dark', 40], ['light', 220]] as const) {
      mkdirSync(join(data, name), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const png = new PNG({ width: 80, height: 72 });
        for (let p = 0; p < 80 * 72; p++) png.data.set([fill + ((p * 7 + i * 13) % 30), fill, fill - ((p * 3) % 20), 255], p * 4);
        writeFileSync(join(data, name, `${i}.png`), PNG.sync.write(png));
      }
    }
    const outDir = join(root, 'hub-tune');
    const result = await train({ model: 'mobilenetv1_025', data, imageSize: 64, pretrained: 'hub:netblocks-fixtures/mobilenetv1_025.c10', freezeEpochs: 1, epochs: 1, batchSize: 4, valFraction: 0.25, backend: 'wasm', outDir });
    const card = modelCard(result.model);
    expect(card.labels).toEqual(['dark', 'light']);
    // The checkpoint's mean and std (config.json: 0.5 / 0.25) normalize the data and go with the model.
    expect(card.preprocessing).toMatchObject({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], fit: 'resize', crop: { size: 64 } });
    expect(result.model.outputs[0]?.shape).toEqual([null, 2]);
    // Frozen for its one epoch: the first conv is still the checkpoint's.
    const { createPretrainedModel } = await import('@netblocks/models/node');
    const reference = await createPretrainedModel('mobilenetv1_025', { weights: { kind: 'hub', repo: 'netblocks-fixtures/mobilenetv1_025.c10' }, inputShape: [64, 64, 3] });
    const stem = reference.layers.find((l) => l.weights.length > 0) as tf.layers.Layer;
    expect(same(result.model.getLayer(stem.name).getWeights()[0]?.dataSync() as Float32Array, stem.getWeights()[0]?.dataSync() as Float32Array)).toBe(true);
    reference.dispose();
    result.model.dispose();
  });

  it("loads torchvision's release file by URL (the sha256 prefix in its name checked)", async () => {
    const outDir = join(root, 'url-tune');
    const url = `${hub.files}/models/${TORCHVISION_FILE}`;
    const result = await train({ model: 'shufflenet_v2_x0_5', data, imageSize: 32, pretrained: url, freezeEpochs: 1, epochs: 1, batchSize: 4, valFraction: 0.25, backend: 'wasm', outDir });
    expect(modelCard(result.model)).toMatchObject({ labels: ['dark', 'light'], preprocessing: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } });
    // torch.hub's cache layout under TORCH_HOME.
    expect(readFileSync(join(root, 'torch', 'hub', 'checkpoints', TORCHVISION_FILE)).length).toBe(fixture(TORCHVISION_FILE).length);
    result.model.dispose();
  });
});
