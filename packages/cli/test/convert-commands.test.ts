import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '@netblocks/core/node';
import { createModel, saveTorchWeights } from '@netblocks/models';
import '@netblocks/models/register';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countLayers, reparamSavedModel, type ImportReport, type ReparamReport } from '../src/index.js';
import { randomizeBatchNorms } from '@netblocks/test-utils';
import { oneLineFailure, runMain } from './helpers/run-main.js';

useBackend('wasm');
const root = mkdtempSync(join(tmpdir(), 'netblocks-convert-'));
const at = (name: string) => join(root, name);

/** ShuffleNetV2-x0.5 for 10 classes at 32x32 with trained-like BatchNorms, saved in `shuffle/`. */
let model: tf.LayersModel;
let x: tf.Tensor;
beforeAll(async () => {
  model = createModel('shufflenet_v2_x0_5', { numClasses: 10, inputShape: [32, 32, 3] });
  randomizeBatchNorms(model);
  await saveModel(model, at('shuffle'));
  x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1);
});
afterAll(() => {
  model.dispose();
  x.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Every weight of `a` equals `b`'s, bit for bit, in the same order. */
function expectSameWeights(a: tf.LayersModel, b: tf.LayersModel): void {
  const [wa, wb] = [a.getWeights(), b.getWeights()];
  expect(wa.map((w) => w.shape)).toEqual(wb.map((w) => w.shape));
  wa.forEach((w, i) => expect(w.dataSync()).toEqual((wb[i] as tf.Tensor).dataSync()));
}

describe('netblocks import', () => {
  it("loads a state dict written by saveTorchWeights into a fresh model with the checkpoint's classes, and saves it", async () => {
    const file = at('weights.safetensors');
    writeFileSync(file, saveTorchWeights(model));
    const run = await runMain('import', 'shufflenet_v2_x0_5', file, at('imported'), '--image-size', '32', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ImportReport;
    expect(report).toMatchObject({ model: 'shufflenet_v2_x0_5', inputShape: [32, 32, 3], numClasses: 10, from: 'torchvision', missing: [], unexpected: [], mismatched: [] });
    expect(report.loaded).toContain('fc.weight');
    const imported = await loadModel(at('imported'));
    expectSameWeights(imported, model);
    imported.dispose();
  });

  it('refuses a checkpoint that does not fit, saving nothing, unless --partial; reports what was left out', async () => {
    const file = at('weights.safetensors');
    const line = oneLineFailure(await runMain('import', 'shufflenet_v2_x0_5', file, at('five'), '--image-size', '32', '--classes', '5'));
    expect(line).toBe(
      `netblocks import: ${file} does not fit shufflenet_v2_x0_5: 2 shapes differ (first "fc.weight": model [5, 1024], file [10, 1024] F32); ` +
        "the file's classifier has 10 classes (give --classes 10); nothing saved (--partial saves what fits)",
    );
    expect(existsSync(at('five'))).toBe(false);
    const partial = await runMain('import', 'shufflenet_v2_x0_5', file, at('five'), '--image-size', '32', '--classes', '5', '--partial');
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stdout).toMatch(/^shufflenet_v2_x0_5 \(32x32x3, 5 classes\): loaded \d+ weights from .* \(torchvision names\); saved to /);
    expect(partial.stdout).toContain('  mismatched: fc.weight: model [5, 1024], file [10, 1024] F32\n  mismatched: fc.bias: model [5], file [10] F32\n');
    const five = await loadModel(at('five'));
    expect(five.getLayer('conv1.0').getWeights()[0]?.dataSync()).toEqual(model.getLayer('conv1.0').getWeights()[0]?.dataSync());
    five.dispose();
  });

  it('names the file of a missing, damaged or unrelated checkpoint in one line', async () => {
    expect(oneLineFailure(await runMain('import', 'shufflenet_v2_x0_5', at('none.safetensors'), at('x')))).toBe(`netblocks import: ${at('none.safetensors')}: no such file`);
    writeFileSync(at('text.safetensors'), 'not a checkpoint');
    expect(oneLineFailure(await runMain('import', 'shufflenet_v2_x0_5', at('text.safetensors'), at('x')))).toMatch(/^netblocks import: .*text\.safetensors: .*cannot read the checkpoint: /);
    expect(oneLineFailure(await runMain('import', 'mobilenetv2_035', at('weights.safetensors'), at('x'), '--image-size', '32'))).toMatch(
      /^netblocks import: .*weights\.safetensors: no weight of mobilenetv2_035 is in the file \(\d+ weights missing \(first "conv_stem\.weight"\), \d+ unexpected keys/,
    );
    expect(oneLineFailure(await runMain('import', 'shufflenet_v2_x0_5', at('weights.safetensors')))).toBe(
      'netblocks import: missing <out-dir> (netblocks import <model> <weights> <out-dir>)',
    );
    expect(oneLineFailure(await runMain('import', 'shufflenet_v2', 'w', 'o'))).toMatch(/unknown model "shufflenet_v2"; did you mean shufflenet_v2_x/);
    expect(existsSync(at('x'))).toBe(false);
  });
});

describe('netblocks export', () => {
  it('writes the PyTorch weights that import reads back, and an ONNX model onnxruntime runs with the same outputs', async () => {
    const run = await runMain('export', at('shuffle'), '--torch', at('exported.safetensors'), '--onnx', at('exported.onnx'), '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ model: 'shufflenet_v2_x0_5', files: [{ format: 'torch', path: at('exported.safetensors') }, { format: 'onnx', path: at('exported.onnx') }] });
    // The saved model's weights, the same bytes saveTorchWeights writes for the model in memory.
    expect(new Uint8Array(readFileSync(at('exported.safetensors')))).toEqual(saveTorchWeights(model));
    const back = await runMain('import', 'shufflenet_v2_x0_5', at('exported.safetensors'), at('round-trip'), '--image-size', '32');
    expect(back.code, back.stderr).toBe(0);
    const reloaded = await loadModel(at('round-trip'));
    expectSameWeights(reloaded, model);
    reloaded.dispose();

    const session = await ort.InferenceSession.create(readFileSync(at('exported.onnx')), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const outputs = await session.run({ [session.inputNames[0] as string]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
    const onnx = outputs[session.outputNames[0] as string];
    const expected = model.predict(x) as tf.Tensor;
    expect(onnx?.dims).toEqual([2, 10]);
    expect(maxRelativeDifference(onnx?.data as Float32Array, expected)).toBeLessThan(1e-4);
    expected.dispose();
    await session.release();
  });

  it('needs --torch or --onnx, a loadable model and a valid opset, and says which in one line', async () => {
    expect(oneLineFailure(await runMain('export', at('shuffle')))).toBe('netblocks export: give --torch <file.safetensors> or --onnx <file.onnx> (or both)');
    expect(oneLineFailure(await runMain('export', at('nowhere'), '--onnx', at('n.onnx')))).toMatch(/^netblocks export: Cannot load model from .*nowhere: /);
    expect(oneLineFailure(await runMain('export', at('shuffle'), '--onnx', at('o.onnx'), '--opset', '99'))).toMatch(/cannot export ONNX: exportOnnx: `opset` must be an integer from 13 to 21 \(got opset=99\)$/);
    expect(oneLineFailure(await runMain('export', at('shuffle'), '--torch', join(at('no-dir'), 'w.safetensors')))).toMatch(/^netblocks export: cannot write .*no-dir\/w\.safetensors: /);
    expect(existsSync(at('o.onnx'))).toBe(false);
  });
});

describe('netblocks reparam', () => {
  it('merges a saved RepVGG-A0 into fewer layers with the same outputs, saved where asked', async () => {
    const repvgg = createModel('repvgg_a0', { numClasses: 10, inputShape: [32, 32, 3] });
    randomizeBatchNorms(repvgg);
    await saveModel(repvgg, at('repvgg'));
    const run = await runMain('reparam', at('repvgg'), at('deploy'), '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ReparamReport;
    expect(report).toMatchObject({ inputShape: [32, 32, 3], passed: true, tolerance: 1e-4, layers: { before: countLayers(repvgg) } });
    expect(report.layers.after).toBeLessThan(report.layers.before / 3);
    expect(report.params.after).toBeLessThan(report.params.before);
    expect(report.bytes.after).toBeLessThan(report.bytes.before);
    expect(report.maxRelativeDifference).toBeLessThan(1e-4);
    const deployed = await loadModel(at('deploy'));
    expect(countLayers(deployed)).toBe(report.layers.after);
    const [a, b] = [deployed.predict(x), repvgg.predict(x)] as tf.Tensor[];
    expect(maxRelativeDifference(a as tf.Tensor, b as tf.Tensor)).toBeLessThan(1e-4);
    tf.dispose([a, b]);
    deployed.dispose();
    repvgg.dispose();
    // Outputs outside the tolerance: nothing is saved (the CLI exits 1).
    const strict = await reparamSavedModel(at('repvgg'), at('strict'), { tolerance: 0 });
    expect(strict).toMatchObject({ passed: false, bytes: { after: 0 } });
    expect(existsSync(at('strict'))).toBe(false);
  });

  it('prints the counts and sizes, and refuses a directory it may not replace', async () => {
    const text = await runMain('reparam', at('shuffle'), at('shuffle-deploy'));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^.*shuffle -> .*shuffle-deploy\n {2}layers {2}\d+ -> \d+\n {2}params .*\n {2}size {4}\d+ KiB -> \d+ KiB\n {2}outputs max relative difference [\d.e+-]+ \(tolerance 1e-4\)\n$/);
    mkdirSync(at('notes'));
    writeFileSync(join(at('notes'), 'todo.txt'), 'keep me');
    expect(oneLineFailure(await runMain('reparam', at('shuffle'), at('notes')))).toMatch(/^netblocks reparam: Cannot save model to .*notes: /);
    expect(readFileSync(join(at('notes'), 'todo.txt'), 'utf8')).toBe('keep me');
    expect(oneLineFailure(await runMain('reparam', at('missing'), at('out')))).toMatch(/^netblocks reparam: Cannot load model from .*missing: /);
  });
});
