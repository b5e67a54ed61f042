import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profile } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectLayerRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { groupConvBnAct } from '../src/blocks.js';
import { GroupConv2D } from '../src/group-conv-layer.js';
import '../src/register.js';
import { naiveGroupConv } from './naive.js';

useBackend('cpu');

const tmp = mkdtempSync(join(tmpdir(), 'group-conv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function modelOf(layer: tf.layers.Layer, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

describe('GroupConv2D', () => {
  it('has the kernel [kh, kw, Cin/groups, filters] and the output shape it computes', () => {
    const layer = new GroupConv2D({ name: 'g', filters: 24, kernelSize: 3, groups: 4, strides: 2 });
    const model = modelOf(layer, [9, 9, 16]);
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[3, 3, 4, 24], [24]]);
    expect(model.outputs[0]?.shape).toEqual([null, 5, 5, 24]);
    const y = model.predict(tf.zeros([2, 9, 9, 16])) as tf.Tensor;
    expect(y.shape).toEqual([2, 5, 5, 24]);
    expect(new GroupConv2D({ filters: 8, kernelSize: 3, groups: 2, padding: 'valid' }).computeOutputShape([1, 9, 9, 4])).toEqual([1, 7, 7, 8]);
    expect(new GroupConv2D({ filters: 8, kernelSize: 3, groups: 2, padding: 'same', strides: 2 }).computeOutputShape([1, 8, null, 4])).toEqual([1, 4, null, 8]);
    y.dispose();
  });

  it('computes the grouped conv of its weights', () => {
    const layer = new GroupConv2D({ filters: 8, kernelSize: 3, groups: 2, activation: 'relu' });
    const model = modelOf(layer, [6, 6, 4]);
    tf.tidy(() => {
      const x = tf.randomNormal([1, 6, 6, 4]) as tf.Tensor4D;
      const kernel = layer.getWeights()[0] as tf.Tensor4D;
      layer.setWeights([kernel, tf.randomNormal([8])]);
      const b = layer.getWeights()[1] as tf.Tensor1D;
      expectTensorsClose(model.predict(x) as tf.Tensor, tf.relu(tf.add(naiveGroupConv(x, kernel, 2, 1, 'torch'), b)), 1e-5);
    });
  });

  it('round-trips its config and saves/loads through @netblocks/core', async () => {
    const layer = new GroupConv2D({ name: 'gc', filters: 12, kernelSize: [3, 1], groups: 3, strides: [2, 1], dilationRate: 1, useBias: false, strategy: 'split', kernelInitializer: 'heNormal' });
    const model = modelOf(layer, [8, 8, 6]);
    const x = tf.randomNormal([2, 8, 8, 6]);
    expectLayerRoundTrip(layer, x);
    expect(layer.getConfig()).toMatchObject({ filters: 12, kernelSize: [3, 1], groups: 3, strides: [2, 1], padding: 'torch', useBias: false, strategy: 'split', kernelInitializer: 'heNormal' });
    await saveModel(model, join(tmp, 'gc'));
    const loaded = await loadModel(join(tmp, 'gc'));
    expect(loaded.getLayer('gc').getClassName()).toBe('NetblocksGroupConv2D');
    tf.tidy(() => expectTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6));
    x.dispose();
  });

  it('counts parameters and reports MACs to profile', () => {
    const model = modelOf(new GroupConv2D({ name: 'gc', filters: 128, kernelSize: 3, groups: 32, useBias: false, strides: 2 }), [56, 56, 128]);
    const p = profile(model);
    expect(p.totalParams).toBe(3 * 3 * 4 * 128);
    expect(p.macs).toBe(28 * 28 * 3 * 3 * 4 * 128);
    expect(p.unknownLayers).toEqual([]);
  });

  it('leaks no tensors when called', () => {
    const layer = new GroupConv2D({ filters: 8, kernelSize: 3, groups: 4 });
    const x = tf.randomNormal([1, 5, 5, 8]);
    layer.apply(x); // build
    expectNoLeakedTensors(() => layer.apply(x));
    x.dispose();
  });

  it('rejects bad arguments by name and value', () => {
    expect(() => new GroupConv2D({ filters: 30, kernelSize: 3, groups: 4 })).toThrow('`groups` must divide `filters` (got filters=30, groups=4)');
    expect(() => modelOf(new GroupConv2D({ filters: 8, kernelSize: 3, groups: 4 }), [5, 5, 6])).toThrow('(got Cin=6, groups=4)');
    expect(() => new GroupConv2D({ filters: 8, kernelSize: 0, groups: 4 })).toThrow(/`kernelSize`.*kernelSize=0/);
    expect(() => new GroupConv2D({ filters: 8, kernelSize: 3, groups: 4, padding: 'full' as never })).toThrow(/`padding`.*"full"/);
    expect(() => new GroupConv2D({ filters: 8, kernelSize: 3, groups: 4, kernelInitializer: 'magic' as never })).toThrow(/`kernelInitializer`.*"magic"/);
  });
});

describe('groupConvBnAct', () => {
  it('names its layers and trains: gradients reach the grouped kernel', () => {
    const input = tf.input({ shape: [6, 6, 8] });
    const model = tf.model({ inputs: input, outputs: groupConvBnAct({ name: 'stage.0', filters: 16, groups: 4 })(input) });
    expect(model.layers.slice(1).map((l) => l.name)).toEqual(['stage.0.0', 'stage.0.1', 'stage.0.2']);
    const kernel = model.getLayer('stage.0.0').trainableWeights[0] as tf.LayerVariable;
    const x = tf.randomNormal([2, 6, 6, 8]);
    const grads = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
    const g = grads.grads[kernel.originalName as string] ?? Object.values(grads.grads)[0];
    expect(g?.shape).toEqual([3, 3, 2, 16]);
    expect(tf.sum(tf.abs(g as tf.Tensor)).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, grads.value, ...Object.values(grads.grads)]);
  });
});
