import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shuffleNetV1Unit } from '../src/shufflenet-v1-unit.js';
import { shuffleNetV2Unit } from '../src/shufflenet-v2-unit.js';
import '../src/register.js';
import { randomizeWeights } from './helpers/weights.js';

useBackend('cpu');

const runNode = promisify(execFile);
const loaderScript = fileURLToPath(new URL('./fixtures/load-and-predict.mjs', import.meta.url));
const builtRegister = fileURLToPath(new URL('../dist/register.js', import.meta.url));

/** Both units at both strides, both V1 shuffle placements: every layer class the package uses. */
function buildMixedModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 6] });
  const first = { name: 'v1.0', inChannels: 6, outChannels: 30, groups: 3, strides: 2, firstGroupUngrouped: true };
  let x = shuffleNetV1Unit({ ...first, bottleneckChannels: 6 })(input);
  x = shuffleNetV1Unit({ name: 'v1.1', inChannels: 30, outChannels: 30, groups: 3, bottleneckChannels: 6 })(x);
  x = shuffleNetV1Unit({ name: 'v1.2', inChannels: 30, outChannels: 30, groups: 2, shuffle: 'beforeDepthwise', bottleneckChannels: 6 })(x);
  x = shuffleNetV2Unit({ name: 'v2.0', inChannels: 30, outChannels: 16, strides: 2 })(x);
  x = shuffleNetV2Unit({ name: 'v2.1', inChannels: 16, outChannels: 16 })(x);
  const model = tf.model({ inputs: input, outputs: x });
  // Non-default values everywhere (BN statistics included): a fresh layer would not reproduce them.
  randomizeWeights(model, 59);
  return model;
}

let workDir: string;
let model: tf.LayersModel;
let modelDir: string;
let input: tf.Tensor;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'netblocks-channel-shuffle-'));
  model = buildMixedModel();
  modelDir = path.join(workDir, 'model');
  await saveModel(model, modelDir);
  input = tf.randomNormal([2, 8, 8, 6], 0, 1, 'float32', 61);
});

afterAll(async () => {
  input.dispose();
  await fs.rm(workDir, { recursive: true, force: true });
});

describe('saveModel / loadModel', () => {
  it('loads a model of ShuffleNet V1 and V2 units that predicts the same, layer names and classes kept', async () => {
    const loaded = await loadModel(modelDir);
    expect(loaded.layers.map((l) => [l.name, l.getClassName()])).toEqual(model.layers.map((l) => [l.name, l.getClassName()]));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(
      expect.arrayContaining(['NetblocksChannelShuffle', 'NetblocksChannelSlice', 'NetblocksGroupConv2D']),
    );
    tf.tidy(() => expectTensorsClose(loaded.predict(input) as tf.Tensor, model.predict(input) as tf.Tensor, 1e-6));
    loaded.dispose();
  });
});

describe('a fresh Node process', () => {
  let inputFile: string;
  let expected: number[];

  beforeAll(async () => {
    if (!existsSync(builtRegister)) throw new Error(`${builtRegister} is missing: build @netblocks/channel-shuffle first (npx tsup)`);
    inputFile = path.join(workDir, 'input.json');
    await fs.writeFile(inputFile, JSON.stringify({ shape: input.shape, values: Array.from(input.dataSync()) }));
    expected = tf.tidy(() => Array.from((model.predict(input) as tf.Tensor).dataSync()));
  });

  it('loads and predicts identically after importing only @netblocks/channel-shuffle/register', async () => {
    const { stdout } = await runNode(process.execPath, [loaderScript, modelDir, inputFile]);
    const output = JSON.parse(stdout) as { shape: number[]; values: number[] };
    expect(output.shape).toEqual([2, 2, 2, 16]);
    expectTensorsClose(tf.tensor(output.values), expected, 1e-6, 'absolute');
  });

  it('fails with an unknown-layer error without it', async () => {
    const run = runNode(process.execPath, [loaderScript, modelDir, inputFile, '--without-register']);
    await expect(run).rejects.toMatchObject({ stderr: expect.stringMatching(/Unknown layer: Netblocks/) });
  });
});
