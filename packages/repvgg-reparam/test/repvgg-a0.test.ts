import * as tf from '@tensorflow/tfjs';
import { profile, type ModelProfile } from '@netblocks/core';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { findReparameterizable } from '../src/reparameterizable.js';
import { reparameterize } from '../src/reparameterize.js';
import { repvggRule } from '../src/repvgg-rule.js';
import { randomizeBatchNorms } from './helpers.js';
import { REPVGG_A0, repvggNet } from './repvgg-net.js';

useBackend('cpu');

// REPVGG_A0 from the official code / timm (REFERENCE.md): 9,132,616 total, 9,108,968 trainable,
// 1.513 G MACs at 224; deployed 8,309,384 params and 1.362 G MACs.
describe('RepVGG-A0 built from repvggBlock', () => {
  let train: ModelProfile;
  let deploy: ModelProfile;
  let trainNames: string[];
  let deployNames: string[];
  let builtDeployNames: string[];
  let blocksFound: number;

  beforeAll(() => {
    const model = repvggNet(REPVGG_A0, 224);
    train = profile(model);
    trainNames = model.layers.map((l) => l.name);
    blocksFound = findReparameterizable(model, [repvggRule]).length;
    const fused = reparameterize(model);
    deploy = profile(fused);
    deployNames = fused.layers.map((l) => l.name);
    const built = repvggNet(REPVGG_A0, 224, true);
    builtDeployNames = built.layers.map((l) => l.name);
    [model, fused, built].forEach((m) => m.dispose());
  });

  it('has the reference parameter counts in training form', () => {
    expect(train.totalParams).toBe(9_132_616);
    expect(train.trainableParams).toBe(9_108_968);
    expect(train.unknownLayers).toEqual([]);
  });

  it('has 1.513 G MACs at 224 in training form (±1 %)', () => {
    expect(Math.abs(train.macs / 1.513e9 - 1)).toBeLessThan(0.01);
  });

  it('reparameterizes its 22 blocks into 8,309,384 params and 1.362 G MACs (±1 %)', () => {
    expect(blocksFound).toBe(22);
    expect(deploy.totalParams).toBe(8_309_384);
    expect(deploy.trainableParams).toBe(8_309_384);
    expect(Math.abs(deploy.macs / 1.362e9 - 1)).toBeLessThan(0.01);
    expect(deploy.unknownLayers).toEqual([]);
  });

  it('has the official names in both forms, and the deploy form equals the one built with deploy: true', () => {
    expect(trainNames.slice(0, 3)).toEqual(['input', 'stage0.pad', 'stage0.rbr_dense.conv']);
    expect(trainNames).toContain('stage3.13.rbr_identity');
    expect(trainNames.slice(-2)).toEqual(['gap', 'linear']);
    expect(deployNames).toEqual(builtDeployNames);
    expect(deployNames).toContain('stage4.0.rbr_reparam');
  });

  it('computes the same function deployed, within 1e-4 relative (32x32 input, random BN statistics)', () => {
    const model = repvggNet(REPVGG_A0, 32);
    randomizeBatchNorms(model, 100);
    const fused = reparameterize(model);
    const diff = tf.tidy(() => {
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 101);
      const expected = model.predict(x) as tf.Tensor;
      // A meaningful comparison: logits that differ between images and classes.
      expect(tf.moments(expected).variance.dataSync()[0]).toBeGreaterThan(0);
      return maxRelativeDifference(fused.predict(x) as tf.Tensor, expected);
    });
    expect(diff).toBeLessThan(1e-4);
    model.dispose();
    fused.dispose();
  });
});
