import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profile } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { mixerBlock, mixerBlockMacs, mixerBlockParams, mixerHead, mixerStem, type MixerBlockArgs } from '../src/blocks.js';
import '../src/register.js';
import { naiveLayerNorm, opsMixerBlock, type BlockWeights } from './naive.js';

useBackend('cpu');

const tmp = mkdtempSync(join(tmpdir(), 'mlp-mixer-blocks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A model of one Mixer layer on [S, C] tokens. */
function blockModel(args: Omit<MixerBlockArgs, 'name'> & { name?: string }): tf.LayersModel {
  const input = tf.input({ shape: [args.tokens, args.channels] });
  return tf.model({ inputs: input, outputs: mixerBlock({ name: 'blocks.0', ...args })(input) });
}

/** Random values for every weight (LayerNorm scales around 1), returned in BlockWeights order. */
function randomize(model: tf.LayersModel, seed: number): BlockWeights {
  const values = model.weights.map((w, i) => {
    const noise = tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', seed + i);
    return w.name.endsWith('gamma') ? tf.add(noise, 1) : noise;
  });
  model.setWeights(values);
  return blockWeights(values);
}

/** The block's weights, listed in model order, as BlockWeights. */
function blockWeights(values: tf.Tensor[]): BlockWeights {
  const at = (i: number) => values[i] as tf.Tensor;
  return { norm1: [at(0), at(1)], tokens: [at(2), at(3), at(4), at(5)], norm2: [at(6), at(7)], channels: [at(8), at(9), at(10), at(11)] };
}

const SIZES = { tokens: 6, channels: 5, tokenMlpDim: 4, channelMlpDim: 7 };

describe('mixerBlock', () => {
  it("names its layers as timm's MixerBlock and keeps [N, S, C]", () => {
    const model = blockModel(SIZES);
    expect(model.layers.slice(1).map((l) => `${l.name}:${l.getClassName()}`)).toEqual([
      'blocks.0.norm1:LayerNormalization',
      'blocks.0.mlp_tokens:NetblocksTokenMixing',
      'blocks.0.add1:Add',
      'blocks.0.norm2:LayerNormalization',
      'blocks.0.mlp_channels.fc1:Dense',
      'blocks.0.mlp_channels.act:NetblocksGelu',
      'blocks.0.mlp_channels.fc2:Dense',
      'blocks.0.add2:Add',
    ]);
    expect(model.outputs[0]?.shape).toEqual([null, 6, 5]);
    expect(model.getLayer('blocks.0.norm1').getConfig()).toMatchObject({ epsilon: 1e-6, axis: [2] });
    expect(model.getLayer('blocks.0.mlp_channels.fc1').getConfig()).toMatchObject({ units: 7, activation: 'linear' });
    expect(model.getLayer('blocks.0.mlp_channels.act').getConfig()).toMatchObject({ approximation: 'exact' });
    expect(model.getLayer('blocks.0.mlp_tokens').getConfig()).toMatchObject({ tokenMlpDim: 4, gelu: 'exact' });
  });

  it('equals the explicit-op reference of eq. 1, for both GELUs', () => {
    for (const gelu of ['exact', 'tanh'] as const) {
      const model = blockModel({ ...SIZES, gelu });
      tf.tidy(() => {
        const w = randomize(model, 3);
        const x = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 1);
        expectTensorsClose(model.predict(x) as tf.Tensor, opsMixerBlock(x, w, 1e-6, gelu), 1e-5);
      });
      expect(model.getLayer('blocks.0.mlp_tokens').getConfig()['gelu']).toBe(gelu);
      expect(model.getLayer('blocks.0.mlp_channels.act').getConfig()['approximation']).toBe(gelu);
      model.dispose();
    }
  });

  it('uses the epsilon it is given (1e-6 by default, not TF.js 1e-3)', () => {
    // Tokens whose channels vary by ~1e-2: variance ~1e-4, where eps 1e-3 and 1e-6 give different outputs.
    const x = tf.mul(tf.randomNormal([1, 6, 5], 0, 1, 'float32', 5), 1e-2);
    for (const epsilon of [undefined, 1e-3]) {
      const model = blockModel({ ...SIZES, epsilon });
      tf.tidy(() => {
        const w = randomize(model, 9);
        const y = model.predict(x) as tf.Tensor;
        expectTensorsClose(y, opsMixerBlock(x, w, epsilon ?? 1e-6, 'exact'), 1e-5);
        const other = opsMixerBlock(x, w, epsilon === undefined ? 1e-3 : 1e-6, 'exact');
        expect(tf.max(tf.abs(tf.sub(y, other))).dataSync()[0]).toBeGreaterThan(1e-2);
      });
      model.dispose();
    }
    x.dispose();
  });

  it('has the gradients of the reference for its input and every weight', () => {
    const model = blockModel(SIZES);
    tf.tidy(() => {
      const w = randomize(model, 13);
      const x = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 2);
      const r = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 3);
      const flatWeights = [...w.norm1, ...w.tokens, ...w.norm2, ...w.channels];
      const reference = tf.grads((input: tf.Tensor, ...weights: tf.Tensor[]) =>
        tf.sum(tf.mul(opsMixerBlock(input, blockWeights(weights), 1e-6, 'exact'), r)),
      )([x, ...flatWeights]);
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.apply(input) as tf.Tensor, r)))(x);
      expectTensorsClose(dx, reference[0] as tf.Tensor, 1e-4);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, r)) as tf.Scalar);
      model.trainableWeights.forEach((v, i) => expectTensorsClose(grads[v.name] as tf.Tensor, reference[i + 1] as tf.Tensor, 1e-4));
    });
    model.dispose();
  });

  it('has 4C + 2 S D_S + D_S + S + 2 C D_C + D_C + C parameters at any size', () => {
    const sizes = [
      { tokens: 6, channels: 5, tokenMlpDim: 4, channelMlpDim: 7 },
      { tokens: 49, channels: 16, tokenMlpDim: 8, channelMlpDim: 64 },
      { tokens: 4, channels: 32, tokenMlpDim: 256, channelMlpDim: 12 },
      { tokens: 1, channels: 1, tokenMlpDim: 1, channelMlpDim: 1 },
    ];
    for (const size of sizes) {
      const { tokens: s, channels: c, tokenMlpDim: ds, channelMlpDim: dc } = size;
      const formula = 4 * c + 2 * s * ds + ds + s + 2 * c * dc + dc + c;
      const model = blockModel(size);
      expect(model.countParams(), JSON.stringify(size)).toBe(formula);
      expect(mixerBlockParams(size)).toBe(formula);
      model.dispose();
    }
  });

  it('reports token mixing 2 S D_S C plus channel mixing 2 S C D_C MACs to profile', () => {
    const size = { tokens: 49, channels: 16, tokenMlpDim: 8, channelMlpDim: 64 };
    const model = blockModel(size);
    const p = profile(model);
    expect(p.unknownLayers).toEqual([]);
    expect(p.macs).toBe(2 * 49 * 8 * 16 + 2 * 49 * 16 * 64);
    expect(mixerBlockMacs(size)).toBe(p.macs);
    const macsOf = (name: string) => p.layers.find((l) => l.name === name)?.macs;
    expect(macsOf('blocks.0.mlp_tokens')).toBe(2 * 49 * 8 * 16);
    expect(macsOf('blocks.0.mlp_channels.fc1')).toBe(49 * 16 * 64);
    expect(macsOf('blocks.0.mlp_channels.fc2')).toBe(49 * 64 * 16);
    model.dispose();
  });

  it('rejects bad sizes and inputs, naming them and their values', () => {
    expect(() => mixerBlock({ name: 'b', ...SIZES, tokenMlpDim: 0 })).toThrow('`tokenMlpDim` must be a positive integer (got tokenMlpDim=0)');
    expect(() => mixerBlock({ name: 'b', ...SIZES, epsilon: -1 })).toThrow('`epsilon` must be a positive number (got epsilon=-1)');
    expect(() => mixerBlock({ name: 'b', ...SIZES, gelu: 'none' as 'exact' })).toThrow('(got gelu="none")');
    const input = tf.input({ shape: [7, 5] });
    expect(() => mixerBlock({ name: 'b', ...SIZES })(input)).toThrow('mixerBlock b: the input must be [N, S, C] = [N, 6, 5] (got inputShape=[null,7,5])');
  });
});

describe('mixerStem and mixerHead', () => {
  it('stem: one conv per P x P patch, tokens in row-major patch order (timm flatten(2).transpose(1, 2))', () => {
    const input = tf.input({ shape: [4, 6, 2] });
    const model = tf.model({ inputs: input, outputs: mixerStem({ patchSize: 2, channels: 3 })(input) });
    expect(model.layers.map((l) => l.name).slice(1)).toEqual(['stem.proj', 'stem.flatten']);
    expect(model.outputs[0]?.shape).toEqual([null, 6, 3]);
    tf.tidy(() => {
      const x = tf.randomNormal([1, 4, 6, 2], 0, 1, 'float32', 4);
      const kernel = model.getWeights()[0] as tf.Tensor;
      const bias = tf.randomNormal([3], 0, 1, 'float32', 6);
      model.setWeights([kernel, bias]);
      const k = kernel.arraySync() as number[][][][];
      const b = bias.arraySync() as number[];
      const img = x.arraySync() as number[][][][];
      const expected: number[][] = [];
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          expected.push(
            b.map((bias0, c) => {
              let acc = bias0;
              for (let di = 0; di < 2; di++) for (let dj = 0; dj < 2; dj++) for (let ch = 0; ch < 2; ch++) {
                acc += (img[0]?.[2 * i + di]?.[2 * j + dj]?.[ch] as number) * (k[di]?.[dj]?.[ch]?.[c] as number);
              }
              return acc;
            }),
          );
        }
      }
      expectTensorsClose(model.predict(x) as tf.Tensor, tf.tensor3d([expected]), 1e-5);
    });
    expect(profile(model).macs).toBe(6 * 2 * 2 * 2 * 3);
    model.dispose();
  });

  it('head: LayerNorm, mean over the tokens, Dense; numClasses 0 stops at the features', () => {
    const input = tf.input({ shape: [6, 5] });
    const model = tf.model({ inputs: input, outputs: mixerHead({ numClasses: 4 })(input) });
    expect(model.layers.map((l) => l.name).slice(1)).toEqual(['norm', 'pool', 'head']);
    expect(model.outputs[0]?.shape).toEqual([null, 4]);
    expect(model.countParams()).toBe(2 * 5 + 5 * 4 + 4);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 8);
      // The head starts at zeros (timm, JAX); give it values to see the computation.
      model.setWeights(model.getWeights().map((w, i) => tf.add(tf.randomNormal(w.shape, 0, 0.5, 'float32', 20 + i), i === 0 ? 1 : 0)));
      const [g, b, k, c] = model.getWeights() as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const pooled = tf.mean(naiveLayerNorm(x, g, b, 1e-6), 1);
      expectTensorsClose(model.predict(x) as tf.Tensor, tf.add(tf.matMul(pooled as tf.Tensor2D, k as tf.Tensor2D), c), 1e-5);
    });
    const features = tf.model({ inputs: input, outputs: mixerHead({ numClasses: 0 })(input) });
    expect(features.outputs[0]?.shape).toEqual([null, 5]);
    expect(profile(model).macs).toBe(5 * 4);
  });

  it('rejects bad arguments, naming them and their values', () => {
    expect(() => mixerStem({ patchSize: 16, channels: 8 })(tf.input({ shape: [40, 48, 3] }))).toThrow(
      '`patchSize` must divide the known input height and width (got inputShape=[null,40,48,3], patchSize=16)',
    );
    expect(() => mixerStem({ patchSize: 0, channels: 8 })).toThrow('(got patchSize=0)');
    expect(() => mixerHead({ numClasses: -1 })).toThrow('`numClasses` must be a non-negative integer (got numClasses=-1)');
  });
});

describe('a small Mixer from the blocks', () => {
  function tinyMixer(): tf.LayersModel {
    const input = tf.input({ shape: [8, 8, 3] });
    let x = mixerStem({ patchSize: 4, channels: 6 })(input);
    for (let i = 0; i < 2; i++) x = mixerBlock({ name: `blocks.${i}`, tokens: 4, channels: 6, tokenMlpDim: 3, channelMlpDim: 12, gelu: 'tanh' })(x);
    return tf.model({ inputs: input, outputs: mixerHead({ numClasses: 5 })(x) });
  }

  it('saves and loads through @netblocks/core with the same outputs and weight names', async () => {
    const model = tinyMixer();
    model.setWeights(model.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.3, 'float32', 100 + i)));
    await saveModel(model, join(tmp, 'tiny'));
    const loaded = await loadModel(join(tmp, 'tiny'));
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(loaded.getLayer('blocks.1.mlp_tokens').getClassName()).toBe('NetblocksTokenMixing');
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 5]);
      expectTensorsClose(loaded.predict(x) as tf.Tensor, y, 1e-6);
    });
  });

  it('leaks no tensors when predicting', () => {
    const model = tinyMixer();
    const x = tf.randomNormal([1, 8, 8, 3]);
    expectNoLeakedTensors(() => model.predict(x));
    x.dispose();
    model.dispose();
  });
});
