import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { convBnAct } from '../src/conv-bn-act.js';

useBackend('cpu');

function build(fn: (x: tf.SymbolicTensor) => tf.SymbolicTensor, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape, name: 'input' });
  return tf.model({ inputs: input, outputs: fn(input) });
}

describe('convBnAct', () => {
  it('names its layers deterministically, whatever was built before', () => {
    const names = () => build(convBnAct({ name: 'stem', filters: 8, strides: 2 }), [9, 9, 3]).layers.map((l) => l.name);
    const first = names();
    tf.layers.dense({ units: 1 }); // bumps TF.js's global auto-name counter
    expect(names()).toEqual(first);
    expect(first).toEqual(['input', 'stem.pad', 'stem.0', 'stem.1', 'stem.2']);
  });

  it("pads like PyTorch in 'torch' mode: symmetric, unlike TF 'same' at stride 2", () => {
    const torch = build(convBnAct({ name: 'a', filters: 2, strides: 2, activation: null }), [8, 8, 1]);
    const same = build(convBnAct({ name: 'b', filters: 2, strides: 2, padding: 'same', activation: null }), [8, 8, 1]);
    same.setWeights(torch.getWeights());
    const x = tf.randomNormal([1, 8, 8, 1]);
    const kernel = torch.getLayer('a.0').getWeights()[0] as tf.Tensor4D;
    // Reference: explicit symmetric zero padding of 1, then a valid conv (BN is identity at init up to eps).
    const ref = tf.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]) as tf.Tensor4D, kernel, 2, 'valid');
    const bnScale = 1 / Math.sqrt(1 + 1e-5);
    const yTorch = torch.predict(x) as tf.Tensor;
    expectTensorsClose(yTorch, tf.mul(ref, bnScale), 1e-5);
    expect(yTorch.shape).toEqual([1, 4, 4, 2]);
    const ySame = same.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(ySame, yTorch))).dataSync()[0]).toBeGreaterThan(1e-3);
  });

  it('uses PyTorch BN defaults and accepts overrides', () => {
    const m = build(convBnAct({ name: 'c', filters: 4, kernelSize: 1, epsilon: 1e-3, momentum: 0.99 }), [4, 4, 2]);
    const bn = m.getLayer('c.1').getConfig();
    expect(bn.epsilon).toBe(1e-3);
    expect(bn.momentum).toBe(0.99);
    const d = build(convBnAct({ name: 'd', filters: 4, kernelSize: 1 }), [4, 4, 2]).getLayer('d.1').getConfig();
    expect([d.epsilon, d.momentum]).toEqual([1e-5, 0.9]);
    expect(m.layers.map((l) => l.name)).not.toContain('c.pad'); // a 1x1 conv needs no padding
  });

  it('builds depthwise convs and counts their parameters', () => {
    const m = build(convBnAct({ name: 'dw', depthwise: true, depthMultiplier: 2, activation: 'relu6' }), [6, 6, 3]);
    expect(m.outputs[0]?.shape).toEqual([null, 6, 6, 6]);
    expect(m.countParams()).toBe(3 * 3 * 3 * 2 + 4 * 6);
    expect(m.getLayer('dw.2').getConfig().activation).toBe('relu6');
  });

  it('applies the activation after the BN', async () => {
    const m = build(convBnAct({ name: 'e', filters: 3, activation: 'relu' }), [5, 5, 2]);
    const x = tf.randomNormal([2, 5, 5, 2]);
    await expectNoLeakedTensors(() => {
      const y = m.predict(x) as tf.Tensor;
      expect(Math.min(...y.dataSync())).toBeGreaterThanOrEqual(0);
      return y;
    });
    x.dispose();
  });

  it('rejects bad arguments by name and value', () => {
    expect(() => convBnAct({ name: 'x' })).toThrow(/`filters` is required/);
    expect(() => convBnAct({ name: 'x', filters: 0 })).toThrow(/`filters`.*filters=0/);
    expect(() => convBnAct({ name: 'x', filters: 2, kernelSize: 2.5 })).toThrow(/`kernelSize`.*kernelSize=2.5/);
    expect(() => convBnAct({ name: 'x', filters: 2, padding: 'full' as never })).toThrow(/`padding`.*"full"/);
    expect(() => convBnAct({ name: 'x', filters: 2, activation: 'hardSwish' as never })).toThrow(/`activation`.*"hardSwish"/);
    expect(() => convBnAct({ name: '', filters: 2 })).toThrow(/`name`/);
  });
});
