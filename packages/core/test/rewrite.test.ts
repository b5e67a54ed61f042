import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { findRewrites, ModelGraph, rewriteModel, type RewriteRule } from '../src/graph/index.js';

useBackend('cpu');

/** Drops Dropout layers (an identity at inference). */
const dropDropout: RewriteRule = (layer, graph) => {
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const output = call?.outputTensors[0];
  if (layer.getClassName() !== 'Dropout' || input === undefined || output === undefined) return null;
  return { kind: 'identity', layers: [layer], input, output, createLayer: () => null, weights: () => [] };
};

/** Replaces dense(relu) by a dense with twice the kernel and bias, followed by nothing: a rule with weights. */
const doubleDense: RewriteRule = (layer, graph) => {
  const call = graph.singleCall(layer);
  const input = call?.inputTensors[0];
  const output = call?.outputTensors[0];
  if (layer.getClassName() !== 'Dense' || input === undefined || output === undefined) return null;
  const units = layer.getConfig()['units'] as number;
  return {
    kind: 'double',
    layers: [layer],
    input,
    output,
    createLayer: () => tf.layers.dense({ units, name: `${layer.name}_x2` }),
    weights: () => layer.getWeights().map((w) => tf.mul(w, 2)),
  };
};

function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const a = tf.layers.dense({ units: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(a) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 2, name: 'b' }).apply(dropped) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [b, a] });
}

describe('rewriteModel', () => {
  it('removes identity groups and replaces others, with their new weights; the original is untouched', () => {
    const model = smallModel();
    const before = model.getWeights().map((w) => w.arraySync());
    const rewritten = rewriteModel(model, [dropDropout, doubleDense]);
    expect(rewritten.layers.map((l) => l.name)).toEqual(['input1', 'a_x2', 'b_x2'].map((n, i) => (i === 0 ? model.layers[0]?.name : n)));
    const x = tf.randomNormal([5, 4]);
    tf.tidy(() => {
      const [b, a] = model.predict(x) as tf.Tensor[];
      const [b2, a2] = rewritten.predict(x) as tf.Tensor[];
      expectTensorsClose(a2 as tf.Tensor, tf.mul(a as tf.Tensor, 2), 1e-5);
      // b2 = 2 * (W_b (2 a) + b_b) = 2 * (2 W_b a + b_b)
      const [wb, bb] = model.getLayer('b').getWeights() as [tf.Tensor2D, tf.Tensor1D];
      expectTensorsClose(b2 as tf.Tensor, tf.mul(tf.add(tf.matMul(tf.mul(a as tf.Tensor2D, 2), wb), bb), 2), 1e-5);
      expect((b as tf.Tensor).shape).toEqual([5, 2]);
    });
    expect(model.getWeights().map((w) => w.arraySync())).toEqual(before);
    rewritten.dispose();
    expect(model.getWeights().length).toBe(4);
    x.dispose();
    model.dispose();
  });

  it('gives each layer to the first rule that claims it', () => {
    const model = smallModel();
    const claimsEverything: RewriteRule = (layer, graph) => dropDropout(layer, graph) ?? doubleDense(layer, graph);
    expect(findRewrites(model, [dropDropout, claimsEverything]).map((r) => r.kind)).toEqual(['identity', 'double', 'double']);
    expect(new ModelGraph(model).nodes.length).toBe(4);
    model.dispose();
  });

  it('refuses a replacement whose name another layer has', () => {
    const model = smallModel();
    const clash: RewriteRule = (layer, graph) => {
      const found = doubleDense(layer, graph);
      return found && layer.name === 'b' ? { ...found, createLayer: () => tf.layers.dense({ units: 2, name: 'a' }) } : null;
    };
    expect(() => rewriteModel(model, [clash])).toThrow(/name="a"|name=\\"a\\"|"a"/);
    model.dispose();
  });
});
