// Key naming: `nn.DataParallel`'s `module.` prefix, and checkpoints in another library's names
// (torchvision's mobilenet_v2 for our timm-named mobilenetv2_*, timm's efficientnet for our
// torchvision-named efficientnet_b*), translated by the family tables in src/weights/translate.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors, type SafetensorsTensorInput } from '@netblocks/core';
import { afterAll, describe, expect, it } from 'vitest';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { createModel, getModelInfo, listModels, loadTorchWeights, saveTorchWeights } from '../src/index.js';
import { checkWeightSource } from '../src/weights/source.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());

const fixturePath = (file: string) => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
const fixture = (file: string) => new Uint8Array(readFileSync(fixturePath(file)));

/** Every weight random (BatchNorm statistics included), so a key sent to the wrong weight shows. */
function randomize(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((w, i) => {
    const values = tf.tidy(() => (w.originalName.endsWith('moving_variance') ? tf.randomUniform(w.shape as number[], 0.5, 2, 'float32', seed + i) : tf.randomNormal(w.shape as number[], 0, 0.1, 'float32', seed + i)));
    w.write(values);
    values.dispose();
  });
}

/** The file's tensors with every key renamed by `rename` (undefined keeps it). */
function renamed(bytes: Uint8Array, rename: (key: string) => string | undefined): Uint8Array {
  const file = readSafetensors(bytes);
  return writeSafetensors(new Map<string, SafetensorsTensorInput>(file.names().map((key) => [rename(key) ?? key, file.get(key)])));
}

/** Both files hold the same keys with the same bytes. */
function expectSameFile(a: Uint8Array, b: Uint8Array): void {
  const [fa, fb] = [readSafetensors(a), readSafetensors(b)];
  expect(fa.names().sort()).toEqual(fb.names().sort());
  for (const key of fa.names()) {
    expect(fa.info(key), key).toEqual(fb.info(key));
    expect(Buffer.from(fa.rawBytes(key)).equals(Buffer.from(fb.rawBytes(key))), `${key} differs`).toBe(true);
  }
}

describe('nn.DataParallel prefix', () => {
  it('reads keys that all start with `module.` without it, and says so', () => {
    const source = createModel('mobilenetv1_025', { inputShape: [32, 32, 3], numClasses: 10 });
    randomize(source, 1);
    const saved = saveTorchWeights(source);
    const wrapped = renamed(saved, (key) => `module.${key}`);
    const target = createModel('mobilenetv1_025', { inputShape: [32, 32, 3], numClasses: 10 });
    const report = loadTorchWeights(target, wrapped);
    expect(report.strippedPrefix).toBe('module.');
    expect(report.loaded.length).toBe(target.weights.length);
    expectSameFile(saveTorchWeights(target), saved);
  });

  it('keeps the keys as they are when only some have the prefix', () => {
    const model = createModel('mobilenetv1_025', { inputShape: [32, 32, 3], numClasses: 10 });
    const partly = renamed(saveTorchWeights(model), (key) => (key.startsWith('conv_stem') ? `module.${key}` : undefined));
    const report = loadTorchWeights(model, partly, { strict: false });
    expect(report.strippedPrefix).toBeUndefined();
    expect(report.unexpected).toContain('module.conv_stem.weight');
    expect(report.missing).toContain('conv_stem.weight');
  });
});

describe("torchvision's mobilenet_v2 into our timm-named mobilenetv2", () => {
  const keys = JSON.parse(readFileSync(fixturePath('torchvision_mobilenet_v2_025.keys.json'), 'utf8')) as Record<string, number[]>;
  const options = { widthMultiplier: 0.25, numClasses: 10, inputShape: [64, 64, 3] as [number, number, number] };

  it("saves exactly torchvision's keys and shapes with `to: 'torchvision'` and reads them back bit-exactly", () => {
    const source = createModel('mobilenetv2_100', options);
    randomize(source, 2);
    const ours = saveTorchWeights(source);
    const theirs = saveTorchWeights(source, { to: 'torchvision' });
    const file = readSafetensors(theirs);
    expect(Object.fromEntries(file.names().sort().map((key) => [key, file.info(key).shape]))).toEqual(keys);

    for (const from of ['torchvision', undefined] as const) {
      const target = createModel('mobilenetv2_100', options);
      const report = loadTorchWeights(target, theirs, from ? { from } : {});
      expect(report.from).toBe('torchvision');
      expect(report.loaded.length).toBe(target.weights.length);
      expectSameFile(saveTorchWeights(target), ours);
    }
  });

  it("gives torchvision's outputs from torchvision's state dict (features.0-13, 48 px; max|diff|/max|ref| < 1e-4)", () => {
    const model = createModel('mobilenetv2_100', { ...options, inputShape: [48, 48, 3], features: true, outIndices: [3] });
    const checkpoint = fixture('torchvision_mobilenet_v2_025.safetensors');
    expect(loadTorchWeights(model, checkpoint).from).toBe('torchvision');
    const report = loadTorchWeights(model, checkpoint, { from: 'torchvision' });
    expect([report.missing, report.unexpected, report.mismatched]).toEqual([[], [], []]);
    const io = readSafetensors(fixture('torchvision_mobilenet_v2_025.io.safetensors'));
    const [input, expected] = [io.toTensor('input'), io.toTensor('output')];
    const output = model.predict(input) as tf.Tensor;
    expect(output.shape).toEqual(expected.shape);
    const difference = maxRelativeDifference(output, expected);
    console.info(`torchvision mobilenet_v2 (0.25) via translation: max|diff|/max|ref| = ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-4);
    tf.dispose([input, expected, output]);
  });

  it('still reads its own (timm) names, and says which', () => {
    const model = createModel('mobilenetv2_100', options);
    expect(loadTorchWeights(model, saveTorchWeights(model)).from).toBe('timm');
  });
});

/** timm's efficientnet key for a torchvision one, written independently of the library's table. */
function timmEfficientNetKey(key: string): string {
  const outside: Record<string, string> = { 'features.0.0': 'conv_stem', 'features.0.1': 'bn1', 'features.8.0': 'conv_head', 'features.8.1': 'bn2', 'classifier.1': 'classifier' };
  for (const [tv, timm] of Object.entries(outside)) if (key.startsWith(`${tv}.`)) return `${timm}${key.slice(tv.length)}`;
  const m = /^features\.(\d+)\.(\d+)\.block\.(.+)$/.exec(key);
  if (!m) throw new Error(`unexpected key ${key}`);
  const [, stage, index, rest] = m as unknown as [string, string, string, string];
  // Stage 1 is a DepthwiseSeparableConv (t = 1) in timm; the others InvertedResidual.
  const inner: [RegExp, string][] =
    stage === '1'
      ? [[/^0\.0\./, 'conv_dw.'], [/^0\.1\./, 'bn1.'], [/^1\.fc1\./, 'se.conv_reduce.'], [/^1\.fc2\./, 'se.conv_expand.'], [/^2\.0\./, 'conv_pw.'], [/^2\.1\./, 'bn2.']]
      : [[/^0\.0\./, 'conv_pw.'], [/^0\.1\./, 'bn1.'], [/^1\.0\./, 'conv_dw.'], [/^1\.1\./, 'bn2.'], [/^2\.fc1\./, 'se.conv_reduce.'], [/^2\.fc2\./, 'se.conv_expand.'], [/^3\.0\./, 'conv_pwl.'], [/^3\.1\./, 'bn3.']];
  const rule = inner.find(([re]) => re.test(rest));
  if (!rule) throw new Error(`unexpected key ${key}`);
  return `blocks.${Number(stage) - 1}.${index}.${rest.replace(rule[0], rule[1])}`;
}

describe("timm's efficientnet into our torchvision-named efficientnet_b*", () => {
  const options = { widthMultiplier: 0.125, numClasses: 10, inputShape: [32, 32, 3] as [number, number, number] };

  it('loads timm-named keys bit-exactly, with `from` or detected, and saves them back with `to`', () => {
    const source = createModel('efficientnet_b0', options);
    randomize(source, 3);
    const ours = saveTorchWeights(source);
    const timm = renamed(ours, timmEfficientNetKey);
    const names = readSafetensors(timm).names();
    expect(names).toContain('conv_stem.weight');
    expect(names).toContain('blocks.0.0.se.conv_reduce.weight');
    expect(names).toContain('blocks.6.0.conv_pwl.weight');
    expect(names).toContain('classifier.weight');
    expectSameFile(saveTorchWeights(source, { to: 'timm' }), timm);

    for (const from of ['timm', undefined] as const) {
      const target = createModel('efficientnet_b0', options);
      const report = loadTorchWeights(target, timm, from ? { from } : {});
      expect(report.from).toBe('timm');
      expect(report.loaded.length).toBe(target.weights.length);
      expectSameFile(saveTorchWeights(target), ours);
    }
  });

  it("names keys it cannot place in the file's own spelling", () => {
    const model = createModel('efficientnet_b0', options);
    const timm = renamed(saveTorchWeights(model, { to: 'timm' }), (key) => (key === 'conv_head.weight' ? 'conv_head2.weight' : undefined));
    expect(() => loadTorchWeights(model, timm, { from: 'timm' })).toThrow(/unexpected: "conv_head2.weight"[\s\S]*missing: "features.8.0.weight"/);
  });
});

describe('`from` values', () => {
  it('accepts the family naming and the ones its family translates from', () => {
    for (const [name, from] of [
      ['resnext50_32x4d', 'timm'],
      ['resnext50_32x4d', 'torchvision'],
      ['seresnet50', 'timm'],
      ['mobilenetv2_100', 'torchvision'],
      ['efficientnet_b3', 'timm'],
      ['shufflenet_v1_g3_x1_0', 'megvii'],
    ] as const) {
      expect(() => checkWeightSource('test', name, from), `${name} from ${from}`).not.toThrow();
    }
    expect(() => checkWeightSource('test', 'shufflenet_v2_x1_0', 'timm')).toThrow(
      "'shufflenet_v2_x1_0' follows torchvision's names; checkpoints from timm are not supported yet (got from='timm', expected from='torchvision')",
    );
    expect(() => checkWeightSource('test', 'mobilenetv2_100', 'megvii')).toThrow("expected from='timm' or 'torchvision'");
  });
});

describe('preprocessing metadata', () => {
  it('every registered model says how its weights expect their input', () => {
    for (const name of listModels()) {
      const { preprocessing, minInputSize } = getModelInfo(name);
      expect(preprocessing.mean, name).toHaveLength(3);
      expect(preprocessing.std, name).toHaveLength(3);
      expect([[0, 1], [0, 255], [-1, 1]], name).toContainEqual(preprocessing.inputRange);
      expect(['rgb', 'bgr'], name).toContain(preprocessing.channelOrder);
      expect(preprocessing.std.every((s) => s > 0), name).toBe(true);
      expect(preprocessing.crop.size, name).toBeGreaterThanOrEqual(minInputSize);
      expect(preprocessing.source, name).toMatch(/torchvision|timm|megvii|official/);
      expect(preprocessing.crop.resize, name).toBeGreaterThanOrEqual(preprocessing.crop.size);
      expect(['bilinear', 'bicubic'], name).toContain(preprocessing.crop.interpolation);
    }
  });

  it('has the reference values where they differ from ImageNet defaults', () => {
    const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    expect(getModelInfo('resnext50_32x4d').preprocessing).toMatchObject({ ...imagenet, inputRange: [0, 1], crop: { resize: 256, size: 224, interpolation: 'bilinear' } });
    expect(getModelInfo('mixer_b16_224').preprocessing).toMatchObject({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], crop: { resize: 256, size: 224, interpolation: 'bicubic' } });
    expect(getModelInfo('mobilenetv2_100').preprocessing).toMatchObject({ ...imagenet, crop: { resize: 256, size: 224, interpolation: 'bicubic' } });
    expect(getModelInfo('repvgg_a0').preprocessing.crop.interpolation).toBe('bilinear');
    expect(getModelInfo('shufflenet_v2_x2_0').preprocessing.crop.resize).toBe(232);
    expect(getModelInfo('xception').preprocessing).toMatchObject({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], crop: { resize: 333, size: 299, interpolation: 'bicubic' } });
    expect(getModelInfo('efficientnet_b1').preprocessing.crop).toEqual({ resize: 256, size: 240, interpolation: 'bicubic' });
    expect(getModelInfo('efficientnet_b2').preprocessing.crop).toEqual({ resize: 288, size: 288, interpolation: 'bicubic' });
    expect(getModelInfo('efficientnet_b7').preprocessing.crop).toEqual({ resize: 600, size: 600, interpolation: 'bicubic' });
    expect(getModelInfo('shufflenet_v1_g3_x1_0').preprocessing).toMatchObject({ channelOrder: 'bgr', inputRange: [0, 255], mean: [0, 0, 0], std: [1, 1, 1] });
  });
});
