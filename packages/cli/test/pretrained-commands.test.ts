// `netblocks list --pretrained`, `netblocks pull` (against @netblocks/test-utils' loopback Hub, caches in
// a temporary folder through HF_ENDPOINT / HF_HUB_CACHE / TORCH_HOME) and `netblocks import` of
// torch.save files (@netblocks/models' fixtures, made by tools/fixtures/make_pretrained_fixtures.py).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '@netblocks/core/node';
import { readSafetensors } from '@netblocks/core';
import { getPretrained, listPretrained } from '@netblocks/models';
import '@netblocks/models/register';
import { maxRelativeDifference, startHubServer, useBackend, type HubServer } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport, PretrainedListing } from '../src/index.js';
import { oneLineFailure, runMain } from './helpers/run-main.js';

useBackend('wasm');

const fixtures = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../models/test/fixtures/pretrained');
const fixture = (name: string) => readFileSync(join(fixtures, name));
const root = mkdtempSync(join(tmpdir(), 'netblocks-pull-'));
const saved = { ...process.env };
let hub: HubServer;

// The bytes served as timm/mobilenetv2_100.ra_in1k stand in for the real checkpoint: `pull` only
// downloads and places files, it never reads them.
const standIn = fixture('mobilenetv1_025.c10/model.safetensors');

beforeAll(async () => {
  hub = await startHubServer({ 'timm/mobilenetv2_100.ra_in1k': { 'config.json': fixture('mobilenetv1_025.c10/config.json'), 'model.safetensors': standIn } });
  Object.assign(process.env, { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: join(root, 'hub'), TORCH_HOME: join(root, 'torch') });
  delete process.env.HF_HUB_OFFLINE;
});
afterAll(async () => {
  process.env = saved;
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

describe('netblocks list --pretrained', () => {
  it('lists the checkpoints of the matching models, the default marked, as a table and as JSON', async () => {
    const json = await runMain('list', 'resnet50*', '--pretrained', '--json');
    expect(json.code, json.stderr).toBe(0);
    const { checkpoints } = JSON.parse(json.stdout) as { checkpoints: PretrainedListing[] };
    expect(checkpoints.map((c) => c.name)).toEqual(listPretrained('resnet50').map((c) => c.name));
    expect(checkpoints[0]).toEqual({
      name: 'resnet50.IMAGENET1K_V2', model: 'resnet50', tag: 'IMAGENET1K_V2', isDefault: true, source: 'https://download.pytorch.org/models/resnet50-11ad3fa6.pth',
      numClasses: 1000, inputSize: 224, top1: 80.858, license: 'bsd-3-clause',
    });
    const text = (await runMain('list', 'repvgg_a0', '--pretrained')).stdout.split('\n');
    expect(text[2]).toMatch(/^repvgg_a0\.rvgg_in1k \* +1000 +224 +72\.43 +hub:timm\/repvgg_a0\.rvgg_in1k$/);
  });

  it('says which models have no published weights, and why', async () => {
    const { stdout } = await runMain('list', 'shufflenet_v1_g3', '--pretrained');
    expect(stdout).toMatch(/^0 checkpoints for 0 models/m);
    expect(stdout).toMatch(/no published weights: shufflenet_v1_g3_x0_5 \(megvii's ShuffleNet-Series publishes/);
  });
});

describe('netblocks pull', () => {
  it("downloads a timm checkpoint into huggingface_hub's cache with a progress line, then finds it there", async () => {
    const first = await runMain('pull', 'mobilenetv2_100');
    expect(first.code, first.stderr).toBe(0);
    const snapshot = join(root, 'hub', 'models--timm--mobilenetv2_100.ra_in1k', 'snapshots', hub.commit, 'model.safetensors');
    expect(first.stdout).toBe(`mobilenetv2_100.ra_in1k: ${snapshot} (${(standIn.length / 1e6).toFixed(1)} MB, downloaded (sha256 from the Hub))\n`);
    expect(first.stderr).toMatch(/^config\.json \[#{20}\] [\d.]+\/[\d.]+ MB .*\nmodel\.safetensors \[#{20}\] [\d.]+\/[\d.]+ MB {2}[\d.]+ MB\/s {2}in \d+s\n$/);
    expect(createHash('sha256').update(readFileSync(snapshot)).digest('hex')).toBe(createHash('sha256').update(standIn).digest('hex'));
    hub.requests.length = 0;
    const again = JSON.parse((await runMain('pull', 'mobilenetv2_100.ra_in1k', '--json')).stdout);
    expect(again).toMatchObject({ checkpoint: 'mobilenetv2_100.ra_in1k', weightsPath: snapshot, cached: true, bytes: standIn.length });
    expect(hub.requests).toEqual([]);
  });

  it('offline without the file, an unknown tag, a model without weights: one line each', async () => {
    expect(oneLineFailure(await runMain('pull', 'resnet50', '--offline'))).toBe(
      `netblocks pull: resnet50-11ad3fa6.pth is not in the torch.hub cache at ${join(root, 'torch', 'hub', 'checkpoints')}, and downloads are off (HF_HUB_OFFLINE is set or \`offline\` is true)`,
    );
    expect(oneLineFailure(await runMain('pull', 'resnet50.nope'))).toMatch(/^netblocks pull: resnet50 has no checkpoint tagged "nope" \(its tags: IMAGENET1K_V2, /);
    expect(oneLineFailure(await runMain('pull', 'mixer_s16_224'))).toMatch(/^netblocks pull: mixer_s16_224 has no pretrained weights: timm registers/);
    expect(getPretrained('resnet50').verification).toBe('sha256 prefix in the file name');
  });
});

describe('netblocks import of torch.save files', () => {
  const io = readSafetensors(fixture('pretrained.io.safetensors'));

  it.each([
    ['shufflenet_v2_x0_5', 'shufflenetv2_x0.5_c10-2166d2dd6b.pth', 'shufflenet', 'torchvision'],
    ['mobilenetv1_025', 'mobilenetv1_025_c10_half-db66e386.pth', 'mobilenet_half', 'timm'],
  ])("%s from %s (told apart by content): the checkpoint's classes, PyTorch's logits from the saved model", async (model, file, output, from) => {
    const out = join(root, `import-${model}`);
    const run = await runMain('import', model, join(fixtures, file), out, '--image-size', '64', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout) as ImportReport).toMatchObject({ numClasses: 10, from, missing: [], unexpected: [], mismatched: [] });
    const loaded = await loadModel(out);
    const [x, expected] = [io.toTensor('input'), io.toTensor(output)];
    const y = loaded.predict(x) as tf.Tensor;
    expect(maxRelativeDifference(y, expected)).toBeLessThan(1e-4);
    tf.dispose([x, expected, y]);
    loaded.dispose();
  });
});
