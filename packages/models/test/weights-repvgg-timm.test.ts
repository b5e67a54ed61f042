// timm's byobnet names for our official-named RepVGG (src/weights/translate.ts, `TRANSLATIONS.repvgg.timm`).
// The expected keys and shapes come from tools/fixtures/make_repvgg_timm_keys.py, which restates the
// module tree of timm's ByobNet / RepVggBlock (stem = a RepVggBlock, `stages.{s}.{i}`, `head.fc`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors, type SafetensorsTensorInput } from '@netblocks/core';
import { reparameterize } from '@netblocks/repvgg-reparam';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '@netblocks/test-utils';
import { buildModel, type NetblocksModel } from '../src/build.js';
import { repvgg, type RepVGGConfig } from '../src/families/repvgg.js';
import { getModelInfo, loadTorchWeights, saveTorchWeights } from '../src/index.js';
import { checkWeightSource } from '../src/weights/source.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());

type KeyShapes = Record<string, number[]>;
const EXPECTED = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/repvgg_timm_tiny.keys.json', import.meta.url)), 'utf8')) as Record<string, { train: KeyShapes; deploy: KeyShapes }>;

// The fixture's cases: timm depths (1, 2, 1, 1) / (2, 2, 2, 1), wf (0.125 x3, 0.0625), 10 classes.
const CASES: { name: string; config: RepVGGConfig }[] = [
  { name: 'tiny', config: { blocks: [1, 1, 2, 1, 1], a: 0.125, b: 0.0625, groups: 1 } },
  { name: 'g2_tiny', config: { blocks: [1, 2, 2, 2, 1], a: 0.125, b: 0.0625, groups: 2 } },
];

// A name in the registry (repvgg_a0) so that the family's naming and translations apply.
const make = (config: RepVGGConfig): NetblocksModel =>
  buildModel('repvgg_a0', repvgg, { config, inputSize: 32, reference: { totalParams: 0, trainableParams: 0 } }, { inputShape: [32, 32, 3], numClasses: 10 });

/** Every weight random (BatchNorm statistics non-trivial), so a key sent to the wrong weight shows. */
function randomize(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((w, i) => {
    const name = w.originalName;
    const shape = w.shape as number[];
    const values = tf.tidy(() =>
      name.endsWith('moving_variance')
        ? tf.randomUniform(shape, 0.5, 2, 'float32', seed + i)
        : name.endsWith('gamma')
          ? tf.randomUniform(shape, 0.5, 1.5, 'float32', seed + i)
          : tf.randomNormal(shape, 0, 0.1, 'float32', seed + i),
    );
    w.write(values);
    values.dispose();
  });
}

const keyShapes = (bytes: Uint8Array): KeyShapes => {
  const file = readSafetensors(bytes);
  return Object.fromEntries(file.names().sort().map((key) => [key, file.info(key).shape]));
};

/** Both files hold the same keys with the same bytes. */
function expectSameFile(a: Uint8Array, b: Uint8Array): void {
  const [fa, fb] = [readSafetensors(a), readSafetensors(b)];
  expect(fa.names().sort()).toEqual(fb.names().sort());
  for (const key of fa.names()) {
    expect(fa.info(key), key).toEqual(fb.info(key));
    expect(Buffer.from(fa.rawBytes(key)).equals(Buffer.from(fb.rawBytes(key))), `${key} differs`).toBe(true);
  }
}

/** The file's tensors with every key renamed by `rename` (undefined keeps it). */
function renamed(bytes: Uint8Array, rename: (key: string) => string | undefined): Uint8Array {
  const file = readSafetensors(bytes);
  return writeSafetensors(new Map<string, SafetensorsTensorInput>(file.names().map((key) => [rename(key) ?? key, file.get(key)])));
}

describe.each(CASES)("timm's repvgg names for official-named RepVGG ($name)", ({ name, config }) => {
  const expected = EXPECTED[name] as { train: KeyShapes; deploy: KeyShapes };
  const source = make(config);
  randomize(source, 7);
  const ours = saveTorchWeights(source);
  const timm = saveTorchWeights(source, { to: 'timm' });

  it("saves exactly timm's keys and shapes with `to: 'timm'`", () => {
    expect(keyShapes(timm)).toEqual(expected.train);
    expect(Object.keys(keyShapes(ours))).toContain('stage0.rbr_dense.conv.weight');
  });

  it("loads them back bit-exactly with `from: 'timm'` and when detected", () => {
    for (const from of ['timm', undefined] as const) {
      const target = make(config);
      const report = loadTorchWeights(target, timm, from ? { from } : {});
      expect(report.from).toBe('timm');
      expect([report.missing, report.unexpected, report.mismatched]).toEqual([[], [], []]);
      expect(report.loaded.length).toBe(target.weights.length);
      expectSameFile(saveTorchWeights(target), ours);
      expectSameFile(saveTorchWeights(target, { to: 'timm' }), timm);
    }
  });

  it('still detects its own (official) names', () => {
    const target = make(config);
    expect(loadTorchWeights(target, ours).from).toBe('official');
  });

  it("translates the deploy form (`rbr_reparam` <-> timm's `reparam_conv`)", () => {
    const deploy = reparameterize(source);
    const saved = saveTorchWeights(deploy, { to: 'timm' });
    expect(keyShapes(saved)).toEqual(expected.deploy);
    const target = reparameterize(make(config));
    expect(loadTorchWeights(target, saved).from).toBe('timm');
    expectSameFile(saveTorchWeights(target), saveTorchWeights(deploy));
  });
});

describe('repvgg `from` values', () => {
  it("accepts 'official' and 'timm'", () => {
    expect(getModelInfo('repvgg_a0').weights).toBe('official');
    expect(() => checkWeightSource('test', 'repvgg_b1g4', 'timm')).not.toThrow();
    expect(() => checkWeightSource('test', 'repvgg_a0', 'official')).not.toThrow();
    expect(() => checkWeightSource('test', 'repvgg_a0', 'torchvision')).toThrow("expected from='official' or 'timm'");
  });

  it("names a key it cannot place in the file's own spelling", () => {
    const model = make(CASES[0]!.config);
    const timm = renamed(saveTorchWeights(model, { to: 'timm' }), (key) => (key === 'head.fc.weight' ? 'head.fc2.weight' : undefined));
    expect(() => loadTorchWeights(model, timm, { from: 'timm' })).toThrow(/unexpected: "head.fc2.weight"[\s\S]*missing: "linear.weight"/);
  });
});
