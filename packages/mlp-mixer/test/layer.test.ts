import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profile } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectLayerRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { Gelu } from '../src/gelu-layer.js';
import { gelu } from '../src/op.js';
import { TokenMixing } from '../src/token-mixing-layer.js';
import '../src/register.js';
import { opsTokenMixing } from './naive.js';

useBackend('cpu');

const tmp = mkdtempSync(join(tmpdir(), 'mlp-mixer-layer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function modelOf(layer: tf.layers.Layer, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

/** Gives every weight of `layer` random values (the default biases are zeros). */
function randomizeWeights(layer: tf.layers.Layer, seed: number): void {
  layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + i)));
}

describe('TokenMixing', () => {
  it('owns fc1 [S, D_S] and fc2 [D_S, S] with biases, named for the timm mapping, and keeps the shape', () => {
    const layer = new TokenMixing({ name: 'blocks.3.mlp_tokens', tokenMlpDim: 6 });
    const model = modelOf(layer, [10, 4]);
    expect(layer.weights.map((w) => [w.name, w.shape])).toEqual([
      ['blocks.3.mlp_tokens/fc1/kernel', [10, 6]],
      ['blocks.3.mlp_tokens/fc1/bias', [6]],
      ['blocks.3.mlp_tokens/fc2/kernel', [6, 10]],
      ['blocks.3.mlp_tokens/fc2/bias', [10]],
    ]);
    expect(model.outputs[0]?.shape).toEqual([null, 10, 4]);
    expect(layer.countParams()).toBe(2 * 10 * 6 + 6 + 10);
    tf.tidy(() => {
      expect((model.predict(tf.zeros([3, 10, 4])) as tf.Tensor).shape).toEqual([3, 10, 4]);
    });
  });

  it('computes tokenMixing of its weights, with the GELU it was given', () => {
    for (const gelu of ['exact', 'tanh'] as const) {
      const layer = new TokenMixing({ tokenMlpDim: 3, gelu });
      modelOf(layer, [5, 2]);
      randomizeWeights(layer, 7);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 5, 2], 0, 1, 'float32', 1);
        const [k1, b1, k2, b2] = layer.getWeights() as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        expectTensorsClose(layer.apply(x) as tf.Tensor, opsTokenMixing(x, k1, b1, k2, b2, gelu), 1e-5);
      });
    }
  });

  it('passes gradients to all four weights', () => {
    const layer = new TokenMixing({ tokenMlpDim: 3 });
    modelOf(layer, [5, 2]);
    randomizeWeights(layer, 11);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 2], 0, 1, 'float32', 2);
      const r = tf.randomNormal([2, 5, 2], 0, 1, 'float32', 3);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar);
      const [k1, b1, k2, b2] = layer.getWeights();
      const reference = tf.grads((a, b, c, d) => tf.sum(tf.mul(opsTokenMixing(x, a, b, c, d, 'exact'), r)))([k1, b1, k2, b2] as tf.Tensor[]);
      const ours = layer.trainableWeights.map((w) => grads[w.name] as tf.Tensor);
      ours.forEach((g, i) => expectTensorsClose(g, reference[i] as tf.Tensor, 1e-5));
    });
  });

  it('returns its resolved args from getConfig, defaults included, and round-trips', () => {
    const layer = new TokenMixing({ name: 'tm', tokenMlpDim: 4, gelu: 'tanh', kernelInitializer: 'leCunNormal' });
    expect(layer.getConfig()).toMatchObject({ name: 'tm', tokenMlpDim: 4, gelu: 'tanh', kernelInitializer: 'leCunNormal', biasInitializer: 'zeros' });
    expect(new TokenMixing({ tokenMlpDim: 2 }).getConfig()).toMatchObject({ gelu: 'exact', kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' });
    const x = tf.randomNormal([2, 6, 3]);
    expectLayerRoundTrip(layer, x);
    x.dispose();
  });

  it('saves and loads through @netblocks/core as NetblocksTokenMixing', async () => {
    expect(TokenMixing.className).toBe('NetblocksTokenMixing');
    const layer = new TokenMixing({ name: 'blocks.0.mlp_tokens', tokenMlpDim: 4, gelu: 'tanh' });
    const model = modelOf(layer, [6, 3]);
    randomizeWeights(layer, 17);
    await saveModel(model, join(tmp, 'token-mixing'));
    const loaded = await loadModel(join(tmp, 'token-mixing'));
    const copy = loaded.getLayer('blocks.0.mlp_tokens');
    expect(copy.getClassName()).toBe('NetblocksTokenMixing');
    expect(copy.getConfig()).toEqual(layer.getConfig());
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 3], 0, 1, 'float32', 4);
      expectTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    });
  });

  it('reports 2 * S * D_S * C MACs to profile, with nothing unknown', () => {
    const model = modelOf(new TokenMixing({ tokenMlpDim: 384 }), [196, 768]);
    const p = profile(model);
    expect(p.macs).toBe(2 * 196 * 384 * 768);
    expect(p.totalParams).toBe(2 * 196 * 384 + 384 + 196);
    expect(p.unknownLayers).toEqual([]);
    model.dispose();
  });

  it('rejects bad arguments and inputs, naming them and their values', () => {
    expect(() => new TokenMixing({ tokenMlpDim: 0 })).toThrow('`tokenMlpDim` must be a positive integer (got tokenMlpDim=0)');
    expect(() => new TokenMixing({ tokenMlpDim: 2.5 })).toThrow('(got tokenMlpDim=2.5)');
    expect(() => new TokenMixing({ tokenMlpDim: 2, gelu: 'fast' as 'exact' })).toThrow(`\`gelu\` must be 'exact' or 'tanh' (got gelu="fast")`);
    expect(() => new TokenMixing({ tokenMlpDim: 2, kernelInitializer: 'orthogonal' as 'zeros' })).toThrow('(got kernelInitializer="orthogonal")');
    expect(() => modelOf(new TokenMixing({ name: 'tm', tokenMlpDim: 2 }), [4, 4, 3])).toThrow(
      'TokenMixing tm: input must be [N, S, C] with S known (got inputShape=[null,4,4,3])',
    );
  });

  it('leaks no tensors when called', () => {
    const layer = new TokenMixing({ tokenMlpDim: 3 });
    const x = tf.randomNormal([1, 5, 2]);
    tf.dispose(layer.apply(x) as tf.Tensor); // builds: the weights it creates stay with the layer
    expectNoLeakedTensors(() => layer.apply(x));
    expectNoLeakedTensors(() => tf.variableGrads(() => (layer.apply(x) as tf.Tensor).sum() as tf.Scalar));
    x.dispose();
    layer.dispose();
  });
});

describe('Gelu', () => {
  it('applies gelu with its approximation, keeps the shape, and round-trips both variants', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 2, 'float32', 9);
    for (const approximation of ['exact', 'tanh'] as const) {
      const layer = new Gelu({ name: `act_${approximation}`, approximation });
      tf.tidy(() => expectTensorsClose(layer.apply(x) as tf.Tensor, gelu(x, approximation), 0, 'absolute'));
      expect(layer.computeOutputShape([null, 3, 4])).toEqual([null, 3, 4]);
      expect(layer.getConfig()).toMatchObject({ approximation });
      expectLayerRoundTrip(layer, x);
    }
    expect(new Gelu().getConfig()).toMatchObject({ approximation: 'exact' });
    x.dispose();
  });

  it('saves and loads as NetblocksGelu, with no weights and no MACs', async () => {
    expect(Gelu.className).toBe('NetblocksGelu');
    const model = modelOf(new Gelu({ name: 'act', approximation: 'tanh' }), [5]);
    expect(model.countParams()).toBe(0);
    expect(profile(model)).toMatchObject({ macs: 0, unknownLayers: [] });
    await saveModel(model, join(tmp, 'gelu'));
    const loaded = await loadModel(join(tmp, 'gelu'));
    expect(loaded.getLayer('act').getConfig()).toMatchObject({ approximation: 'tanh' });
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5], 0, 2, 'float32', 10);
      expectTensorsClose(loaded.predict(x) as tf.Tensor, gelu(x, 'tanh'), 0, 'absolute');
    });
  });

  it('rejects an unknown approximation and leaks nothing', () => {
    expect(() => new Gelu({ approximation: 'erf' as 'exact' })).toThrow(`Gelu: \`approximation\` must be 'exact' or 'tanh' (got approximation="erf")`);
    const x = tf.ones([3]);
    expectNoLeakedTensors(() => new Gelu().apply(x));
    x.dispose();
  });
});
