import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { profile } from '@netblocks/core';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { reparameterize } from '@netblocks/repvgg-reparam';
import { createModel } from '../src/index.js';

useBackend('wasm');

/** Gives every BatchNorm non-trivial statistics, as a trained network has. */
function randomizeBatchNorms(model: tf.LayersModel): void {
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const c = layer.getWeights()[0]?.shape[0] as number;
    layer.setWeights([tf.randomUniform([c], 0.5, 1.5), tf.randomNormal([c], 0, 0.1), tf.randomNormal([c], 0, 0.1), tf.randomUniform([c], 0.5, 2)]);
  }
}

describe('structural checks from the papers', () => {
  it('reparameterize(repvgg_a0) has 8,309,384 parameters and the same outputs within 1e-4', () => {
    const model = createModel('repvgg_a0');
    randomizeBatchNorms(model);
    const deploy = reparameterize(model);
    expect(deploy.countParams()).toBe(8_309_384);
    expect(Math.abs(profile(deploy).macs / 1.362e9 - 1)).toBeLessThan(0.01);
    const x = tf.randomNormal([1, 224, 224, 3]);
    tf.tidy(() => {
      expect(maxRelativeDifference(deploy.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-4);
    });
    x.dispose();
    model.dispose();
    deploy.dispose();
  });

  it("ShuffleNet V1: stage 2's first unit has an ungrouped first 1x1 conv, every other unit a grouped one", () => {
    const model = createModel('shufflenet_v1_g3_x1_0', { inputShape: [64, 64, 3] });
    const firstConvs = model.layers.filter((l) => /^features\.\d+\.branch_main_1\.0$/.test(l.name));
    expect(firstConvs).toHaveLength(16);
    expect(firstConvs[0]?.getClassName()).toBe('Conv2D');
    for (const conv of firstConvs.slice(1)) expect(conv.getConfig()).toMatchObject({ groups: 3 });
    model.dispose();
  });

  it('Mixer: D_S and D_C are the per-size hyper-parameters, not the number of patches', () => {
    for (const [name, channels, ds, dc] of [
      ['mixer_s32_224', 512, 256, 2048],
      ['mixer_b16_224', 768, 384, 3072],
      ['mixer_l32_224', 1024, 512, 4096],
    ] as const) {
      const model = createModel(name, { inputShape: [64, 64, 3], numClasses: 10 });
      const patch = name.includes('16') ? 16 : 32;
      const tokens = (64 / patch) ** 2;
      const shapes = (layer: string) => model.getLayer(layer).getWeights().map((w) => w.shape);
      expect(shapes('blocks.0.mlp_tokens')).toEqual([[tokens, ds], [ds], [ds, tokens], [tokens]]);
      expect(shapes('blocks.0.mlp_channels.fc1')).toEqual([[channels, dc], [dc]]);
      model.dispose();
    }
  });

  it('MobileNetV2 has exactly 10 residual adds, and its last conv is widened only above width 1', () => {
    for (const [name, head] of [['mobilenetv2_100', 1280], ['mobilenetv2_035', 1280], ['mobilenetv2_140', 1792]] as const) {
      const model = createModel(name, { inputShape: [64, 64, 3], numClasses: 10 });
      expect(model.layers.filter((l) => l.getClassName() === 'Add')).toHaveLength(10);
      expect(model.getLayer('conv_head').getConfig()).toMatchObject({ filters: head });
      model.dispose();
    }
  });

  it('EfficientNet B0-B7: stem, stage widths, repeats and head follow the compound-scaling table', () => {
    // REFERENCE.md: filters f*w rounded to 8 (never 10 % down), repeats ceil(d*r).
    const round = (f: number, w: number) => {
      const v = f * w;
      let n = Math.max(8, Math.floor((v + 4) / 8) * 8);
      if (n < 0.9 * v) n += 8;
      return n;
    };
    const table = { b0: [1.0, 1.0], b1: [1.0, 1.1], b2: [1.1, 1.2], b3: [1.2, 1.4], b4: [1.4, 1.8], b5: [1.6, 2.2], b6: [1.8, 2.6], b7: [2.0, 3.1] } as const;
    const base = [[16, 1], [24, 2], [40, 2], [80, 3], [112, 3], [192, 4], [320, 1]] as const;
    for (const [variant, [w, d]] of Object.entries(table)) {
      const model = createModel(`efficientnet_${variant}`, { inputShape: [32, 32, 3], numClasses: 0 });
      expect(model.getLayer('features.0.0').getConfig(), variant).toMatchObject({ filters: round(32, w) });
      base.forEach(([c, r], i) => {
        const repeats = Math.ceil(d * r);
        const blocks = new Set(model.layers.map((l) => l.name.match(new RegExp(`^features\\.${i + 1}\\.(\\d+)\\.`))?.[1]).filter(Boolean));
        expect(blocks.size, `${variant} stage ${i + 1} repeats`).toBe(repeats);
        const last = model.layers.filter((l) => l.name.startsWith(`features.${i + 1}.${repeats - 1}.`) && l.getClassName() === 'BatchNormalization').pop();
        expect(last?.getWeights()[0]?.shape, `${variant} stage ${i + 1} width`).toEqual([round(c, w)]);
      });
      expect(model.getLayer('features.8.0').getConfig(), variant).toMatchObject({ filters: 4 * round(320, w) });
      model.dispose();
    }
    const b7 = createModel('efficientnet_b7', { inputShape: [32, 32, 3], numClasses: 0 });
    expect(b7.getLayer('features.8.0').getConfig()).toMatchObject({ filters: 2560 }); // REFERENCE.md: B7 head 2560
    b7.dispose();
  });
});
