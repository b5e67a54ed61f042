import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors, type SafetensorsTensorInput } from '@netblocks/core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeakedTensors, useBackend } from '@netblocks/test-utils';
import { buildModel, type NetblocksModel } from '../src/build.js';
import { shuffleNetV2 } from '../src/families/shufflenet-v2.js';
import { createModel, loadTorchWeights, saveTorchWeights } from '../src/index.js';
import { loadTorchWeightsFromFile, saveTorchWeightsToFile } from '../src/node.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());

const CHECKPOINT = new Uint8Array(readFileSync(fileURLToPath(new URL('./fixtures/shufflenet_v2_tiny.safetensors', import.meta.url))));

/** The fixture's architecture (torchvision ShuffleNetV2 [24, 24, 48, 96, 256]) with `numClasses` outputs. */
function shuffleNetTiny(numClasses = 10): NetblocksModel {
  const variant = { config: { widths: [24, 24, 48, 96, 256] as const }, inputSize: 48, reference: { totalParams: 0, trainableParams: 0 } };
  return buildModel('shufflenet_v2_tiny', shuffleNetV2, variant, { numClasses, inputShape: [48, 48, 3] });
}

const snapshot = (model: tf.LayersModel) => model.weights.map((w) => w.read().dataSync().slice());

/** The fixture's tensors, edited by `edit`, written back. */
function editedCheckpoint(edit: (tensors: Map<string, SafetensorsTensorInput>) => void): Uint8Array {
  const file = readSafetensors(CHECKPOINT);
  const tensors = new Map<string, SafetensorsTensorInput>(file.names().map((name) => [name, file.get(name)]));
  edit(tensors);
  return writeSafetensors(tensors);
}

describe('strict loading', () => {
  it('lists every unexpected, missing and mismatched key in one error and changes nothing', () => {
    const model = shuffleNetTiny();
    const before = snapshot(model);
    const bad = editedCheckpoint((t) => {
      t.delete('stage3.2.branch2.3.weight');
      t.set('stage9.0.conv.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
      t.set('conv5.1.running_var', { dtype: 'F32', shape: [3], data: new Float32Array(3) });
    });
    let message = '';
    try {
      loadTorchWeights(model, bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('3 problems');
    expect(message).toContain('unexpected: "stage9.0.conv.weight"');
    expect(message).toContain('missing: "stage3.2.branch2.3.weight"');
    expect(message).toContain('mismatched: "conv5.1.running_var" expected [256] of floats, got [3] F32');
    expect(snapshot(model)).toEqual(before);
  });

  it('ignores num_batches_tracked and loads without leaking tensors', () => {
    const model = shuffleNetTiny();
    expectNoLeakedTensors(() => loadTorchWeights(model, CHECKPOINT));
    const report = loadTorchWeights(model, CHECKPOINT.buffer.slice(0) as ArrayBuffer);
    expect(report.unexpected).toEqual([]);
    expect(report.loaded).toContain('conv1.1.running_mean');
  });
});

describe('a classifier with another number of classes', () => {
  it('is an error in strict mode that says how to load the rest', () => {
    expect(() => loadTorchWeights(shuffleNetTiny(5), CHECKPOINT)).toThrow(
      /classifier "fc" has 5 classes and the checkpoint 10: pass `strict: false`/,
    );
  });

  it('is left out with strict: false, and the report says so', () => {
    const model = shuffleNetTiny(5);
    const fcBefore = model.getLayer('fc').getWeights().map((w) => w.dataSync().slice());
    const report = loadTorchWeights(model, CHECKPOINT, { strict: false });
    expect(report.head).toEqual({ layer: 'fc', modelClasses: 5, checkpointClasses: 10 });
    expect(report.mismatched.map((m) => m.key)).toEqual(['fc.weight', 'fc.bias']);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.loaded.length).toBe(model.weights.length - 2);
    expect(model.getLayer('fc').getWeights().map((w) => w.dataSync().slice())).toEqual(fcBefore);
    const file = readSafetensors(CHECKPOINT);
    expect(model.getLayer('conv5.1').getWeights()[2]?.dataSync()).toEqual(file.getFloat32('conv5.1.running_mean'));
  });
});

describe('bad files leave the model unchanged', () => {
  const model = shuffleNetTiny();
  const before = snapshot(model);

  /** The fixture with its header rewritten by `edit` (same data section). */
  function withHeader(edit: (header: Record<string, { data_offsets: number[] }>) => void): Uint8Array {
    const length = Number(new DataView(CHECKPOINT.buffer, CHECKPOINT.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(CHECKPOINT.subarray(8, 8 + length))) as Record<string, { data_offsets: number[] }>;
    edit(header);
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + CHECKPOINT.length - 8 - length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(CHECKPOINT.subarray(8 + length), 8 + json.length);
    return out;
  }

  it.each([
    ['truncated', () => CHECKPOINT.slice(0, CHECKPOINT.length - 100), /cannot read the checkpoint: safetensors: .*run past the end/],
    ['empty', () => new Uint8Array(4), /cannot read the checkpoint: not a weights file: it is 4 bytes, too short for safetensors or torch.save/],
    [
      'header lying about offsets',
      () => withHeader((h) => { const entry = h['fc.bias'] as { data_offsets: number[] }; entry.data_offsets = [0, 40]; }),
      /cannot read the checkpoint: safetensors: .*overlaps tensor "fc.bias" \[0, 40\]/,
    ],
    [
      'I64 where F32 is expected',
      () => editedCheckpoint((t) => t.set('conv1.0.weight', { dtype: 'I64', shape: [24, 3, 3, 3], data: new BigInt64Array(648) })),
      /mismatched: "conv1.0.weight" expected \[24, 3, 3, 3\] of floats, got \[24, 3, 3, 3\] I64/,
    ],
  ])('%s', (_, bytes, error) => {
    expect(() => loadTorchWeights(model, bytes())).toThrow(error);
    expect(snapshot(model)).toEqual(before);
  });

  it('a source that is not bytes', () => {
    expect(() => loadTorchWeights(model, 'model.safetensors' as unknown as Uint8Array)).toThrow(/`source` must be a weights file's bytes.*\[object String\]/);
  });
});

describe('weight source (`from`)', () => {
  const model = createModel('mobilenetv1_025', { numClasses: 10, inputShape: [32, 32, 3] });
  const own = saveTorchWeights(model);

  it("accepts the family's source", () => {
    expect(loadTorchWeights(model, own, { from: 'timm' }).loaded.length).toBe(model.weights.length);
  });

  it('names both sources on another one', () => {
    expect(() => loadTorchWeights(model, own, { from: 'torchvision' })).toThrow(
      "'mobilenetv1_025' follows timm's names; checkpoints from torchvision are not supported yet (got from='torchvision', expected from='timm')",
    );
    expect(() => loadTorchWeights(model, own, { from: 'caffe' as 'timm' })).toThrow(/`from` must be one of timm, torchvision, megvii, official \(got from="caffe"\)/);
  });
});

describe('layers without a rule', () => {
  const input = tf.input({ shape: [8, 2] });
  const model = tf.model({ inputs: input, outputs: tf.layers.conv1d({ filters: 2, kernelSize: 3, name: 'conv' }).apply(input) as tf.SymbolicTensor });

  it('cannot be saved and count as missing on load', () => {
    expect(() => saveTorchWeights(model)).toThrow(/no PyTorch mapping for these weights: conv\/kernel \(Conv1D\), conv\/bias \(Conv1D\)/);
    const report = loadTorchWeights(model, writeSafetensors({}), { strict: false });
    expect(report.missing).toEqual(['conv/kernel (Conv1D)', 'conv/bias (Conv1D)']);
    expect(() => loadTorchWeights(model, writeSafetensors({}))).toThrow('missing: "conv/kernel (Conv1D)" is a weight of a layer class with no PyTorch mapping');
  });
});

describe('saveTorchWeights', () => {
  it('writes F32 weights, I64 zero counters and format metadata', () => {
    const model = shuffleNetTiny();
    const file = readSafetensors(saveTorchWeights(model, { metadata: { source: 'test' } }));
    expect(file.metadata).toEqual({ format: 'pt', source: 'test' });
    expect(file.info('conv1.0.weight')).toEqual({ dtype: 'F32', shape: [24, 3, 3, 3], byteLength: 24 * 27 * 4 });
    expect(file.info('stage2.0.branch1.0.weight').shape).toEqual([24, 1, 3, 3]);
    expect(file.info('fc.weight').shape).toEqual([10, 256]);
    expect(file.get('conv1.1.num_batches_tracked')).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([0n]) });
  });

  it('round trips through files with the Node entry, bit for bit', async () => {
    const source = shuffleNetTiny();
    const target = shuffleNetTiny();
    const dir = mkdtempSync(join(tmpdir(), 'netblocks-torch-'));
    try {
      await saveTorchWeightsToFile(source, join(dir, 'model.safetensors'));
      const report = await loadTorchWeightsFromFile(target, join(dir, 'model.safetensors'));
      expect(report.loaded.length).toBe(target.weights.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(snapshot(target)).toEqual(snapshot(source));
  });
});
