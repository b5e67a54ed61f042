// classify / embed on the pretrained fixtures, loaded through the real download path from a loopback
// Hub, against what PyTorch answers with the same PIL-free preprocessing
// (tools/fixtures/make_classify_fixtures.py): top-5 indices equal, probabilities within 1e-5.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors } from '@netblocks/core';
import { saveModel } from '@netblocks/core/node';
import { startHubServer, useBackend, type HubServer } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, createPretrainedModel, decodeImageBytes, embed } from '../src/node.js';
import { fitToRecipe, modelCard, preprocessImage, resizeImage, setModelCard, type PretrainedModel, type Preprocessing } from '../src/index.js';

useBackend('cpu');

const pretrainedDir = fileURLToPath(new URL('./fixtures/pretrained/', import.meta.url));
const classifyDir = fileURLToPath(new URL('./fixtures/classify/', import.meta.url));
const SHUFFLENET = 'shufflenetv2_x0.5_c10-2166d2dd6b.pth';
const REPO = 'netblocks-fixtures/mobilenetv1_025.c10';

interface ExpectedCase {
  case: string;
  model: 'shufflenet' | 'mobilenet';
  image: string;
  recipe: { resize: number; size: number; interpolation: 'bilinear' | 'bicubic'; mean: [number, number, number]; std: [number, number, number] };
  indices: number[];
  probabilities: number[];
}
const expected = JSON.parse(readFileSync(path.join(classifyDir, 'expected.json'), 'utf8')) as ExpectedCase[];
const inputs = readSafetensors(readFileSync(path.join(classifyDir, 'inputs.safetensors')));
const imagePath = (name: string) => path.join(classifyDir, name);
const recipeOf = (c: ExpectedCase): Preprocessing => ({
  mean: c.recipe.mean,
  std: c.recipe.std,
  inputRange: [0, 1],
  channelOrder: 'rgb',
  crop: { resize: c.recipe.resize, size: c.recipe.size, interpolation: c.recipe.interpolation },
  source: 'make_classify_fixtures.py',
});

let server: HubServer;
let cache: string;
const models: Partial<Record<ExpectedCase['model'], PretrainedModel>> = {};

beforeAll(async () => {
  const read = (name: string) => readFileSync(path.join(pretrainedDir, name));
  server = await startHubServer(
    { [REPO]: { 'config.json': read('mobilenetv1_025.c10/config.json'), 'model.safetensors': read('mobilenetv1_025.c10/model.safetensors') } },
    { [SHUFFLENET]: read(SHUFFLENET) },
  );
  cache = await fs.mkdtemp(path.join(os.tmpdir(), 'netblocks-classify-'));
  const at = { endpoint: server.endpoint, hubCacheDir: path.join(cache, 'hub'), torchHubDir: path.join(cache, 'torch'), env: {} };
  models.mobilenet = await createPretrainedModel('mobilenetv1_025', { ...at, weights: { kind: 'hub', repo: REPO }, inputShape: [64, 64, 3] });
  models.shufflenet = await createPretrainedModel('shufflenet_v2_x0_5', { ...at, weights: { kind: 'url', url: `${server.files}/models/${SHUFFLENET}` }, inputShape: [224, 224, 3] });
});
afterAll(async () => {
  await server.close();
  await fs.rm(cache, { recursive: true, force: true });
  Object.values(models).forEach((m) => m?.dispose());
});

describe("classify gives PyTorch's top-5 with the same preprocessing", () => {
  for (const c of expected) {
    it(c.case, async () => {
      const model = models[c.model] as PretrainedModel;
      // The fixture recipe of the un-suffixed cases is the checkpoint's own: classify must find it on the model.
      const own = !c.case.includes('_bicubic');
      if (own) expect(model.pretrainedCfg.preprocessing).toMatchObject({ crop: { resize: c.recipe.resize, size: c.recipe.size, interpolation: c.recipe.interpolation }, mean: c.recipe.mean, std: c.recipe.std });
      const top = await classify(model, imagePath(c.image), own ? { topk: 5 } : { topk: 5, preprocessing: recipeOf(c) });
      expect(top.map((t) => t.index)).toEqual(c.indices);
      const worst = Math.max(...top.map((t, i) => Math.abs(t.probability - (c.probabilities[i] as number))));
      console.info(`${c.case}: top-5 as PyTorch's, max |probability difference| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-5);
      if (c.model === 'mobilenet') expect(top[0]?.label).toBe(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'][c.indices[0] as number]);
      else expect(top[0]?.label).toBeNull();
    });
  }

  it('the preprocessed pixels equal PyTorch antialiased resize + centre crop + normalize (1e-5)', () => {
    for (const c of expected.filter((e) => e.model === 'mobilenet')) {
      const image = decodeImageBytes(readFileSync(imagePath(c.image)));
      const mine = preprocessImage(image, recipeOf(c), 3).data;
      const reference = inputs.toTensor(c.case).dataSync();
      let worst = 0;
      for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs((mine[i] as number) - (reference[i] as number)));
      // 1e-5 in pixel units; the inputs are divided by std = 0.25.
      console.info(`${c.case}: max |input difference| ${(worst * 0.25).toExponential(2)} in pixel units`);
      expect(worst, c.case).toBeLessThan(1e-5 / 0.25);
    }
  });
});

describe('classify inputs', () => {
  const mobilenet = () => models.mobilenet as PretrainedModel;

  it('a path, bytes, a [0, 255] tensor and ImageData of one image answer alike; an array is a batch', async () => {
    const bytes = readFileSync(imagePath('wide.png'));
    const image = decodeImageBytes(bytes);
    const pixels = tf.tidy(() => tf.round(tf.mul(tf.tensor3d(image.data, [image.height, image.width, 3]), 255)));
    const rgba = new Uint8ClampedArray(image.height * image.width * 4);
    image.data.forEach((v, i) => (rgba[Math.floor(i / 3) * 4 + (i % 3)] = Math.round(v * 255)));
    const [fromPath, fromBytes, fromTensor, fromImageData] = [
      await classify(mobilenet(), imagePath('wide.png')),
      await classify(mobilenet(), new Uint8Array(bytes)),
      await classify(mobilenet(), pixels),
      await classify(mobilenet(), { data: rgba, width: image.width, height: image.height }),
    ];
    for (const other of [fromBytes, fromTensor, fromImageData]) {
      expect(other.map((t) => t.index)).toEqual(fromPath.map((t) => t.index));
      other.forEach((t, i) => expect(t.probability).toBeCloseTo((fromPath[i] as { probability: number }).probability, 6));
    }
    const batch = await classify(mobilenet(), [imagePath('wide.png'), imagePath('grey.png'), imagePath('tall.png')], { topk: 3, batchSize: 2 });
    expect(batch).toHaveLength(3);
    expect(batch[0]?.map((t) => t.index)).toEqual(fromPath.slice(0, 3).map((t) => t.index));
    const stacked = tf.stack([pixels, pixels]) as tf.Tensor4D;
    expect((await classify(mobilenet(), stacked, { topk: 2 })).map((r) => r.length)).toEqual([2, 2]);
    tf.dispose([pixels, stacked]);
  });

  it('JPEG decodes as libjpeg does, within a grey level', () => {
    const decoded = decodeImageBytes(readFileSync(imagePath('photo.jpg')));
    const libjpeg = readFileSync(imagePath('photo.jpg.grey'));
    expect([decoded.height, decoded.width]).toEqual([90, 90]);
    let total = 0;
    let worst = 0;
    for (let i = 0; i < libjpeg.length; i++) {
      const d = Math.abs(Math.round((decoded.data[3 * i] as number) * 255) - (libjpeg[i] as number));
      total += d;
      worst = Math.max(worst, d);
    }
    console.info(`JPEG vs libjpeg: mean |difference| ${(total / libjpeg.length).toFixed(3)}, max ${worst} grey levels`);
    expect(total / libjpeg.length).toBeLessThan(0.2);
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('bad input is named', async () => {
    await expect(classify(mobilenet(), imagePath('expected.json'))).rejects.toThrow(/cannot decode .*expected\.json: not a PNG or JPEG/);
    await expect(classify(mobilenet(), imagePath('wide.png'), { topk: 0 })).rejects.toThrow('`topk` must be a positive integer (got topk=0)');
    await expect(classify(mobilenet(), imagePath('wide.png'), { labels: ['a'] })).rejects.toThrow('`labels` has 1 names for 10 classes');
    const riff = new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]);
    await expect(classify(mobilenet(), riff)).rejects.toThrow(/WebP/);
    const bare = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [8, 8, 3] }), tf.layers.dense({ units: 2 })] });
    await expect(classify(bare, imagePath('wide.png'))).rejects.toThrow(/carries no preprocessing .*pass `preprocessing`/);
    bare.dispose();
  });
});

describe('embed and the model card', () => {
  it("embed gives the classifier's input: the pooled features", async () => {
    const model = models.mobilenet as PretrainedModel;
    const features = await embed(model, [imagePath('wide.png'), imagePath('grey.png')]);
    expect(features.shape).toEqual([2, model.numFeatures]);
    // The classifier applied to the embedding gives the model's logits.
    const fc = model.layers.at(-1) as tf.layers.Layer;
    const logits = tf.tidy(() => fc.apply(features) as tf.Tensor);
    const image = decodeImageBytes(readFileSync(imagePath('wide.png')));
    const direct = tf.tidy(() => model.predict(tf.tensor4d(preprocessImage(image, model.pretrainedCfg.preprocessing, 3).data, [1, 64, 64, 3])) as tf.Tensor);
    const a = logits.slice([0, 0], [1, -1]).dataSync();
    const b = direct.dataSync();
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i] as number, 4));
    tf.dispose([features, logits, direct]);
  });

  it('a saved model keeps its labels and preprocessing', async () => {
    const model = models.mobilenet as PretrainedModel;
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'netblocks-card-'));
    await saveModel(model, dir);
    const saved = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as { userDefinedMetadata: { netblocks: { labels: string[]; preprocessing: Preprocessing } } };
    expect(saved.userDefinedMetadata.netblocks.labels[9]).toBe('nine');
    expect(saved.userDefinedMetadata.netblocks.preprocessing.crop).toEqual(model.pretrainedCfg.preprocessing.crop);
    await fs.rm(dir, { recursive: true, force: true });
    const other = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 3] }), tf.layers.dense({ units: 2 })] });
    setModelCard(other, { labels: ['cat', 'dog'], preprocessing: { ...model.pretrainedCfg.preprocessing, fit: 'resize', crop: { resize: 4, size: 4, interpolation: 'bilinear' } } });
    expect(modelCard(other).labels).toEqual(['cat', 'dog']);
    expect(() => setModelCard(other, { labels: ['one'] })).toThrow('`labels` has 1 names for a model with 2 outputs');
    const top = await classify(other, imagePath('wide.png'), { topk: 1 });
    expect(['cat', 'dog']).toContain(top[0]?.label);
    other.dispose();
  });
});

describe('resizing', () => {
  const ramp = (h: number, w: number) => ({ data: Float32Array.from({ length: h * w }, (_, i) => (i % w) / (w - 1)), height: h, width: w, channels: 1 });

  it('keeps a constant image constant and a size unchanged; shrinking averages (antialiasing)', () => {
    const flat = { data: new Float32Array(30 * 40).fill(0.25), height: 30, width: 40, channels: 1 };
    for (const interpolation of ['bilinear', 'bicubic'] as const) {
      for (const [h, w] of [[7, 9], [61, 83]] as const) resizeImage(flat, h, w, interpolation).data.forEach((v) => expect(v).toBeCloseTo(0.25, 6));
    }
    const stripes = { data: Float32Array.from({ length: 64 }, (_, i) => i % 2), height: 1, width: 64, channels: 1 };
    resizeImage(stripes, 1, 8, 'bilinear').data.forEach((v) => expect(v).toBeCloseTo(0.5, 1));
    expect(resizeImage(ramp(5, 5), 5, 5).data).toEqual(ramp(5, 5).data);
  });

  it('fits: stretch, pad (scaled down when larger), and rejects a bad fit', () => {
    const crop = { resize: 8, size: 8, interpolation: 'bilinear' as const };
    expect(fitToRecipe(ramp(4, 16), { crop, fit: 'resize' })).toMatchObject({ height: 8, width: 8 });
    const padded = fitToRecipe({ data: new Float32Array(4 * 4).fill(1), height: 4, width: 4, channels: 1 }, { crop, fit: 'pad' });
    expect(Array.from(padded.data.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(padded.data[2 * 8 + 2]).toBe(1);
    expect(fitToRecipe(ramp(16, 32), { crop, fit: 'pad' })).toMatchObject({ height: 8, width: 8 });
    expect(() => fitToRecipe(ramp(4, 4), { crop, fit: 'squash' as 'pad' })).toThrow("`fit` must be 'center-crop', 'resize' or 'pad' (got fit=\"squash\")");
    expect(() => resizeImage(ramp(4, 4), 0, 3)).toThrow('`outHeight` must be a positive integer (got outHeight=0)');
  });
});
