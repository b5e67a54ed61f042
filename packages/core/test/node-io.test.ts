import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileOps } from '../src/node/atomic-directory.js';
import { fileSystemHandler } from '../src/node/file-system-handler.js';
import { loadModel } from '../src/node/load-model.js';
import { saveModel } from '../src/node/save-model.js';
import { NetblocksTestScale } from './fixtures/scale-layer.mjs';

useBackend('cpu');

const runNode = promisify(execFile);
const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const builtNodeEntry = fileURLToPath(new URL('../dist/node.js', import.meta.url));

let workDir: string;
beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'netblocks-node-io-'));
});
afterAll(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

let dirCount = 0;
/** A fresh, not yet existing path inside its own parent, so that leftovers beside it can be listed. */
async function freshModelDir(): Promise<string> {
  const parent = path.join(workDir, `case-${dirCount++}`);
  await fs.mkdir(parent);
  return path.join(parent, 'model');
}

/** Gives every weight of `model` seeded random values in [0.5, 1.5), so BN variances stay positive. */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const values = model.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.5, 1.5, 'float32', seed + i));
  model.setWeights(values);
  tf.dispose(values);
}

function buildConvBnDenseModel(seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 3], name: 'image' });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem_conv' }).apply(input);
  const bn = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(conv);
  const act = tf.layers.activation({ activation: 'relu', name: 'stem_act' }).apply(bn);
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(act);
  const logits = tf.layers.dense({ units: 5, name: 'head' }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits, name: 'conv_bn_dense' });
  randomizeWeights(model, seed);
  return model;
}

function predict(model: tf.LayersModel, input: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(input) as tf.Tensor).dataSync() as Float32Array);
}

function expectSameWeights(actual: tf.LayersModel, expected: tf.LayersModel): void {
  expect(actual.weights.map((w) => w.originalName)).toEqual(expected.weights.map((w) => w.originalName));
  const a = actual.getWeights();
  const b = expected.getWeights();
  a.forEach((weight, i) => expectTensorsClose(weight, b[i] as tf.Tensor, 0, 'absolute'));
}

let image: tf.Tensor;
beforeAll(() => {
  image = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 42);
});

describe('saveModel / loadModel round trip', () => {
  it('restores identical weights and outputs (conv + BN + dense)', async () => {
    const dir = await freshModelDir();
    const model = buildConvBnDenseModel();
    const result = await saveModel(model, dir);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(model.countParams() * 4);
    expect((await fs.readdir(dir)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);

    const loaded = await loadModel(dir);
    expectSameWeights(loaded, model);
    expect(predict(loaded, image)).toEqual(predict(model, image));
  });

  it('splits the weights into shards of at most shardSizeBytes', async () => {
    const dir = await freshModelDir();
    const model = buildConvBnDenseModel(2);
    await saveModel(model, dir, { shardSizeBytes: 100 });
    const totalBytes = model.countParams() * 4;
    const count = Math.ceil(totalBytes / 100);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    const expectedNames = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
    expect(json.weightsManifest[0].paths).toEqual(expectedNames);
    const sizes = await Promise.all(expectedNames.map(async (name) => (await fs.stat(path.join(dir, name))).size));
    expect(sizes.every((size) => size <= 100)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(totalBytes);

    const loaded = await loadModel(dir);
    expectSameWeights(loaded, model);
  });

  it('writes model.json that the stock browser HTTP loader reads', async () => {
    const dir = await freshModelDir();
    const model = buildConvBnDenseModel(3);
    await saveModel(model, dir, { shardSizeBytes: 256 });
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json).toMatchObject({ format: 'layers-model', convertedBy: null });
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers/);

    const requested: string[] = [];
    const fetchFunc = async (url: string): Promise<Response> => {
      const name = new URL(url).pathname.slice(1);
      requested.push(name);
      const body = await fs.readFile(path.join(dir, name));
      const type = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      return new Response(body, { status: 200, headers: { 'Content-Type': type } });
    };
    const handler = tf.io.browserHTTPRequest('http://x/model.json', { fetchFunc: fetchFunc as typeof fetch });
    const loaded = await tf.loadLayersModel(handler);
    expect(requested).toEqual(['model.json', ...json.weightsManifest[0].paths]);
    expectSameWeights(loaded, model);
    expect(predict(loaded, image)).toEqual(predict(model, image));
  });

  it('works as an IO handler for model.save and tf.loadLayersModel', async () => {
    const dir = await freshModelDir();
    const model = buildConvBnDenseModel(4);
    await model.save(fileSystemHandler(dir));
    const loaded = await tf.loadLayersModel(fileSystemHandler(dir));
    expect(predict(loaded, image)).toEqual(predict(model, image));
  });
});

describe('custom layer in a fresh Node process', () => {
  const loaderScript = path.join(fixturesDir, 'load-and-predict.mjs');
  let modelDir: string;
  let inputFile: string;
  let expected: { shape: number[]; values: number[] };

  beforeAll(async () => {
    if (!existsSync(builtNodeEntry)) throw new Error(`${builtNodeEntry} is missing: build @netblocks/core first (npx tsup)`);
    const input = tf.input({ shape: [4, 4, 2] });
    const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv' }).apply(input);
    const scaled = new NetblocksTestScale({ name: 'scale', offset: 0.25 }).apply(conv) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: scaled });
    // Non-default scale values: a freshly initialized layer in the child would not reproduce them.
    randomizeWeights(model, 11);
    modelDir = await freshModelDir();
    await saveModel(model, modelDir);

    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 5);
    inputFile = path.join(workDir, 'custom-input.json');
    await fs.writeFile(inputFile, JSON.stringify({ shape: x.shape, values: Array.from(x.dataSync()) }));
    expected = { shape: [1, 4, 4, 3], values: Array.from(predict(model, x)) };
    x.dispose();
  });

  it('loads and predicts identically when the register module is imported', async () => {
    const { stdout } = await runNode(process.execPath, [loaderScript, modelDir, inputFile]);
    const output = JSON.parse(stdout) as { shape: number[]; values: number[] };
    expect(output.shape).toEqual(expected.shape);
    expectTensorsClose(tf.tensor(output.values), expected.values, 1e-6, 'absolute');
  });

  it('fails with an unknown-layer error without the register module', async () => {
    const run = runNode(process.execPath, [loaderScript, modelDir, inputFile, '--without-register']);
    await expect(run).rejects.toMatchObject({ stderr: expect.stringMatching(/Unknown layer: NetblocksTestScale/) });
  });
});

describe('loadModel errors name the path and the problem', () => {
  let goodDir: string;
  beforeAll(async () => {
    goodDir = await freshModelDir();
    await saveModel(buildConvBnDenseModel(5), goodDir, { shardSizeBytes: 128 });
  });

  async function copyOfGoodModel(): Promise<string> {
    const dir = await freshModelDir();
    await fs.cp(goodDir, dir, { recursive: true });
    return dir;
  }

  it('rejects a missing directory', async () => {
    const dir = path.join(workDir, 'no-such-model');
    await expect(loadModel(dir)).rejects.toThrow(`model directory ${dir} does not exist`);
  });

  it('rejects a directory without model.json', async () => {
    const dir = await freshModelDir();
    await fs.mkdir(dir);
    await expect(loadModel(dir)).rejects.toThrow(`${dir} has no model.json`);
  });

  it('rejects a corrupt model.json', async () => {
    const dir = await copyOfGoodModel();
    await fs.writeFile(path.join(dir, 'model.json'), '{"format": "layers-model", "modelTop');
    await expect(loadModel(dir)).rejects.toThrow(`${path.join(dir, 'model.json')} is not valid JSON`);
  });

  it('rejects a model.json that is not a layers model', async () => {
    const dir = await copyOfGoodModel();
    const jsonPath = path.join(dir, 'model.json');
    const json = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
    await fs.writeFile(jsonPath, JSON.stringify({ ...json, format: 'graph-model' }));
    await expect(loadModel(dir)).rejects.toThrow(`${jsonPath} is not a layers model (format="graph-model"`);
  });

  it('rejects a truncated shard', async () => {
    const dir = await copyOfGoodModel();
    const last = (await fs.readdir(dir)).filter((name) => name.endsWith('.bin')).sort().at(-1) as string;
    const shard = path.join(dir, last);
    const { size } = await fs.stat(shard);
    await fs.truncate(shard, size - 4);
    await expect(loadModel(dir)).rejects.toThrow(/hold \d+ bytes, but its weight specs need \d+ bytes/);
    await expect(loadModel(dir)).rejects.toThrow(shard);
  });

  it('rejects a missing shard', async () => {
    const dir = await copyOfGoodModel();
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    const shard = path.join(dir, json.weightsManifest[0].paths[1]);
    await fs.rm(shard);
    await expect(loadModel(dir)).rejects.toThrow(`weight shard ${shard} (listed in ${path.join(dir, 'model.json')}) does not exist`);
  });

  it('refuses weight paths outside the model directory', async () => {
    const dir = await copyOfGoodModel();
    const jsonPath = path.join(dir, 'model.json');
    const json = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
    json.weightsManifest[0].paths[0] = '../secret.bin';
    await fs.writeFile(jsonPath, JSON.stringify(json));
    await expect(loadModel(dir)).rejects.toThrow(`lists weight file "../secret.bin", which lies outside ${dir}`);
  });
});

describe('saveModel replaces a model directory atomically', () => {
  /** Saves model A into a fresh dir and returns what a later failed save must leave intact. */
  async function savedModelA(): Promise<{ dir: string; files: string[]; outputs: Float32Array }> {
    const dir = await freshModelDir();
    const model = buildConvBnDenseModel(6);
    await saveModel(model, dir, { shardSizeBytes: 128 });
    return { dir, files: (await fs.readdir(dir)).sort(), outputs: predict(model, image) };
  }

  async function expectModelAIntact(a: { dir: string; files: string[]; outputs: Float32Array }): Promise<void> {
    expect((await fs.readdir(a.dir)).sort()).toEqual(a.files);
    expect(await fs.readdir(path.dirname(a.dir))).toEqual(['model']);
    expect(predict(await loadModel(a.dir), image)).toEqual(a.outputs);
  }

  it('replaces a previous model, leaving none of its old shards', async () => {
    const a = await savedModelA();
    const modelB = buildConvBnDenseModel(7);
    await saveModel(modelB, a.dir);
    expect((await fs.readdir(a.dir)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(await fs.readdir(path.dirname(a.dir))).toEqual(['model']);
    expect(predict(await loadModel(a.dir), image)).toEqual(predict(modelB, image));
  });

  it('refuses a non-empty directory that is not a model, and names it', async () => {
    const dir = await freshModelDir();
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'notes.txt'), 'keep me');
    await expect(saveModel(buildConvBnDenseModel(), dir)).rejects.toThrow(`refusing to replace ${dir}`);
    expect(await fs.readdir(dir)).toEqual(['notes.txt']);
    expect(await fs.readdir(path.dirname(dir))).toEqual(['model']);
  });

  it('saves into an existing empty directory', async () => {
    const dir = await freshModelDir();
    await fs.mkdir(dir);
    await saveModel(buildConvBnDenseModel(), dir);
    expect((await fs.readdir(dir)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
  });

  it('leaves the previous model when a shard write fails midway', async () => {
    const a = await savedModelA();
    const write = fileOps.writeFileDurably.bind(fileOps);
    let calls = 0;
    vi.spyOn(fileOps, 'writeFileDurably').mockImplementation(async (file, data) => {
      if (++calls === 3) throw new Error('simulated disk full');
      await write(file, data);
    });
    await expect(saveModel(buildConvBnDenseModel(8), a.dir, { shardSizeBytes: 64 })).rejects.toThrow(
      `Cannot save model to ${a.dir}: simulated disk full`,
    );
    expect(calls).toBe(3);
    await expectModelAIntact(a);
  });

  it('puts the previous model back when the final rename fails', async () => {
    const a = await savedModelA();
    const rename = fileOps.rename;
    let calls = 0;
    const spy = vi.spyOn(fileOps, 'rename').mockImplementation(async (from, to) => {
      // The second rename moves the new directory into place.
      if (++calls === 2) throw new Error('simulated rename failure');
      await rename(from, to);
    });
    await expect(saveModel(buildConvBnDenseModel(9), a.dir)).rejects.toThrow('simulated rename failure');
    // Moved aside, the failed move in, then moved back.
    expect(spy).toHaveBeenCalledTimes(3);
    await expectModelAIntact(a);
  });

  it('writes nothing for an invalid shardSizeBytes', async () => {
    const a = await savedModelA();
    await expect(saveModel(buildConvBnDenseModel(), a.dir, { shardSizeBytes: 0 })).rejects.toThrow(
      '`shardSizeBytes` must be a positive integer (got shardSizeBytes=0)',
    );
    await expectModelAIntact(a);
  });
});
