// The proof that the blocks make the paper's Mixers: Mixer-S/32 and Mixer-B/16 at 224, built from
// mixerStem, mixerBlock and mixerHead, have timm's parameter counts and the reference MACs.
import * as tf from '@tensorflow/tfjs';
import { profile, type ModelProfile } from '@netblocks/core';
import { useBackend } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixerBlock, mixerBlockMacs, mixerBlockParams, mixerHead, mixerStem } from '../src/blocks.js';

useBackend('cpu');

/** A Mixer variant (paper Table 1): patch P, hidden C, D_S, D_C, layers. */
interface Variant {
  patchSize: number;
  channels: number;
  tokenMlpDim: number;
  channelMlpDim: number;
  depth: number;
}

const S32: Variant = { patchSize: 32, channels: 512, tokenMlpDim: 256, channelMlpDim: 2048, depth: 8 };
const S16: Variant = { ...S32, patchSize: 16 };
const B32: Variant = { patchSize: 32, channels: 768, tokenMlpDim: 384, channelMlpDim: 3072, depth: 12 };
const B16: Variant = { ...B32, patchSize: 16 };
const L32: Variant = { patchSize: 32, channels: 1024, tokenMlpDim: 512, channelMlpDim: 4096, depth: 24 };
const L16: Variant = { ...L32, patchSize: 16 };

/** The variant built from the blocks, with timm's layer names, for 1000 classes. */
function buildMixer(v: Variant, imageSize = 224): tf.LayersModel {
  const input = tf.input({ shape: [imageSize, imageSize, 3] });
  const tokens = (imageSize / v.patchSize) ** 2;
  let x = mixerStem({ patchSize: v.patchSize, channels: v.channels })(input);
  for (let i = 0; i < v.depth; i++) {
    x = mixerBlock({ name: `blocks.${i}`, tokens, channels: v.channels, tokenMlpDim: v.tokenMlpDim, channelMlpDim: v.channelMlpDim })(x);
  }
  return tf.model({ inputs: input, outputs: mixerHead({ numClasses: 1000 })(x) });
}

/** Parameters and MACs of the variant at 224 from the formulas alone (stem + blocks + norm + head). */
function formulaCounts(v: Variant): { params: number; macs: number } {
  const tokens = (224 / v.patchSize) ** 2;
  const c = v.channels;
  const block = { tokens, channels: c, tokenMlpDim: v.tokenMlpDim, channelMlpDim: v.channelMlpDim };
  const stem = v.patchSize ** 2 * 3 * c;
  return {
    params: stem + c + v.depth * mixerBlockParams(block) + 2 * c + c * 1000 + 1000,
    macs: tokens * stem + v.depth * mixerBlockMacs(block) + c * 1000,
  };
}

const withinOnePercent = (actual: number, expected: number) => expect(Math.abs(actual / expected - 1)).toBeLessThanOrEqual(0.01);

describe('Mixer-S/32 at 224 from the blocks', () => {
  let model: tf.LayersModel;
  let counts: ModelProfile;
  beforeAll(() => {
    model = buildMixer(S32);
    counts = profile(model);
  });
  afterAll(() => model.dispose());

  it('has exactly 19,104,624 parameters (timm mixer_s32_224)', () => {
    expect(model.countParams()).toBe(19_104_624);
    expect(counts.trainableParams).toBe(19_104_624);
  });

  it('has 1.002 G MACs, every layer counted', () => {
    expect(counts.unknownLayers).toEqual([]);
    withinOnePercent(counts.macs, 1.002e9);
    expect(counts.macs).toBe(formulaCounts(S32).macs);
  });

  it('has 49 tokens of 512 channels, and timm names from stem.proj to head', () => {
    expect(model.getLayer('stem.flatten').outputShape).toEqual([null, 49, 512]);
    expect(model.getLayer('blocks.7.mlp_tokens').countParams()).toBe(2 * 49 * 256 + 256 + 49);
    expect(model.layers.map((l) => l.name).filter((n) => /^(stem\.proj|norm|head)$/.test(n))).toEqual(['stem.proj', 'norm', 'head']);
    expect(model.outputs[0]?.shape).toEqual([null, 1000]);
  });
});

describe('Mixer-B/16 at 224 from the blocks (built, not run)', () => {
  let model: tf.LayersModel;
  let counts: ModelProfile;
  beforeAll(() => {
    model = buildMixer(B16);
    counts = profile(model);
  });
  afterAll(() => model.dispose());

  it('has exactly 59,880,472 parameters (timm mixer_b16_224)', () => {
    expect(model.countParams()).toBe(59_880_472);
  });

  it('has 12.602 G MACs, every layer counted', () => {
    expect(counts.unknownLayers).toEqual([]);
    withinOnePercent(counts.macs, 12.602e9);
    expect(counts.macs).toBe(formulaCounts(B16).macs);
    expect(model.getLayer('stem.flatten').outputShape).toEqual([null, 196, 768]);
  });
});

describe('the other sizes, by the formulas the builds above confirm', () => {
  const table: Array<[string, Variant, number, number]> = [
    ['mixer_s32_224', S32, 19_104_624, 1.002e9],
    ['mixer_s16_224', S16, 18_528_264, 3.777e9],
    ['mixer_b32_224', B32, 60_293_428, 3.238e9],
    ['mixer_b16_224', B16, 59_880_472, 12.602e9],
    ['mixer_l32_224', L32, 206_939_264, 11.253e9],
    ['mixer_l16_224', L16, 208_196_168, 44.548e9],
  ];
  for (const [name, variant, params, macs] of table) {
    it(`${name}: ${params.toLocaleString('en-US')} parameters, ${(macs / 1e9).toFixed(3)} G MACs`, () => {
      const counts = formulaCounts(variant);
      expect(counts.params).toBe(params);
      withinOnePercent(counts.macs, macs);
    });
  }
});

describe('a Mixer-S/32 forward', () => {
  it('runs at 64x64 (S = 4 tokens, D_S still 256) to one logit vector per image', () => {
    const model = buildMixer(S32, 64);
    expect(model.getLayer('blocks.0.mlp_tokens').getWeights()[0]?.shape).toEqual([4, 256]);
    // The head starts at zeros (as in timm): give it values so the logits depend on the image.
    const head = model.getLayer('head');
    head.setWeights([tf.randomNormal([512, 1000], 0, 0.05, 'float32', 1), tf.zeros([1000])]);
    tf.tidy(() => {
      const y = model.predict(tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 2)) as tf.Tensor;
      expect(y.shape).toEqual([2, 1000]);
      const values = y.dataSync();
      expect(values.every(Number.isFinite)).toBe(true);
      const [first, second] = tf.split(y, 2) as [tf.Tensor, tf.Tensor];
      expect(tf.max(tf.abs(tf.sub(first, second))).dataSync()[0]).toBeGreaterThan(1e-3);
    });
    model.dispose();
  });
});
