import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectLayerRoundTrip, expectModelRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { dropPath } from '../src/op.js';
import { StochasticDepth } from '../src/stochastic-depth-layer.js';
import '../src/register.js';

useBackend('cpu');

/** Per sample of `y` (= dropPath of all-ones `x`): the one value all its elements share, or NaN if they differ. */
function sampleValues(y: tf.Tensor): number[] {
  const n = y.shape[0] as number;
  const per = y.size / n;
  const data = y.dataSync();
  return Array.from({ length: n }, (_, i) => {
    const first = data[i * per] as number;
    for (let j = 1; j < per; j++) if (data[i * per + j] !== first) return Number.NaN;
    return first;
  });
}

describe('dropPath (timm drop_path semantics)', () => {
  it('drops whole samples with probability p and scales the survivors by 1 / (1 - p)', () => {
    const n = 20_000;
    for (const p of [0.1, 0.3, 0.5]) {
      const values = tf.tidy(() => sampleValues(dropPath(tf.ones([n, 2, 2, 3]), p, { training: true, seed: 42 })));
      // Each sample is either all 0 or all 1/(1-p): one coin per sample, none per element.
      const dropped = values.filter((v) => v === 0).length;
      const kept = values.filter((v) => Math.abs(v - 1 / (1 - p)) < 1e-6).length;
      expect(dropped + kept).toBe(n);
      // Binomial(n, p): the seeded fraction lies within 5 standard deviations of p.
      const sigma = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(dropped / n - p)).toBeLessThan(5 * sigma);
      // Survival scaling keeps the expectation: the mean output is 1 within the same bound, scaled.
      const mean = values.reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(mean - 1)).toBeLessThan((5 * sigma) / (1 - p));
    }
  });

  it('is reproducible with a seed and differs between seeds', () => {
    tf.tidy(() => {
      const x = tf.ones([64, 3]);
      const a = sampleValues(dropPath(x, 0.5, { training: true, seed: 1 }));
      expect(sampleValues(dropPath(x, 0.5, { training: true, seed: 1 }))).toEqual(a);
      expect(sampleValues(dropPath(x, 0.5, { training: true, seed: 2 }))).not.toEqual(a);
    });
  });

  it('is the identity at inference and at rate 0, and zero at rate 1', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([8, 4, 4, 3], 0, 1, 'float32', 3);
      expect(dropPath(x, 0.5)).toBe(x);
      expect(dropPath(x, 0, { training: true })).toBe(x);
      expectTensorsClose(dropPath(x, 1, { training: true }), tf.zerosLike(x), 0, 'absolute');
    });
  });

  it('passes gradients through the kept samples, scaled, and none through the dropped', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([32, 3, 3, 2], 0, 1, 'float32', 4);
      const p = 0.25;
      const g = tf.grad((a: tf.Tensor) => tf.sum(dropPath(a, p, { training: true, seed: 9 })))(x);
      const mask = sampleValues(dropPath(tf.onesLike(x), p, { training: true, seed: 9 }));
      expectTensorsClose(g, tf.mul(tf.onesLike(x), tf.tensor(mask).reshape([32, 1, 1, 1])), 1e-6);
      expect(mask.some((v) => v === 0)).toBe(true);
    });
  });

  it('rejects a rate outside [0, 1], naming it', () => {
    const x = tf.ones([2, 2]);
    expect(() => dropPath(x, 1.5, { training: true })).toThrow('(got rate=1.5)');
    x.dispose();
  });

  it('leaks no tensors', () => {
    const x = tf.ones([16, 4, 4, 3]);
    expectNoLeakedTensors(() => dropPath(x, 0.3, { training: true, seed: 5 }));
    x.dispose();
  });
});

describe('StochasticDepth', () => {
  it('drops at training (apply with training: true), with per-call seeds seed, seed + 1, ...', () => {
    const layer = new StochasticDepth({ name: 'sd', rate: 0.5, seed: 7 });
    tf.tidy(() => {
      const x = tf.ones([256, 2, 2, 1]);
      const first = sampleValues(layer.apply(x, { training: true }) as tf.Tensor);
      const second = sampleValues(layer.apply(x, { training: true }) as tf.Tensor);
      expect(first).toEqual(sampleValues(dropPath(x, 0.5, { training: true, seed: 7 })));
      expect(second).toEqual(sampleValues(dropPath(x, 0.5, { training: true, seed: 8 })));
      expect(new Set(first)).toEqual(new Set([0, 2]));
    });
  });

  it('is the identity at inference, in a model too, and gets the training flag from the model', () => {
    const input = tf.input({ shape: [3] });
    const model = tf.model({ inputs: input, outputs: new StochasticDepth({ name: 'sd', rate: 0.9, seed: 1 }).apply(input) as tf.SymbolicTensor });
    expect(model.countParams()).toBe(0);
    tf.tidy(() => {
      const x = tf.ones([128, 3]);
      expectTensorsClose(model.predict(x) as tf.Tensor, x, 0, 'absolute');
      const trained = sampleValues(model.apply(x, { training: true }) as tf.Tensor);
      expect(trained.filter((v) => v === 0).length).toBeGreaterThan(64);
    });
  });

  it('returns its args from getConfig and survives config and model round trips', async () => {
    const layer = new StochasticDepth({ name: 'probe', rate: 0.125, seed: 3 });
    expect(layer.getConfig()).toMatchObject({ name: 'probe', rate: 0.125, seed: 3 });
    expect(new StochasticDepth({ rate: 0.2 }).getConfig()).toMatchObject({ rate: 0.2, seed: null });
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 5);
    expectLayerRoundTrip(layer, x);
    const model = tf.sequential({ layers: [new StochasticDepth({ inputShape: [3, 3, 4], rate: 0.3 })] });
    const loaded = await expectModelRoundTrip(model, x);
    expect(loaded.layers[0]?.getClassName()).toBe('NetblocksStochasticDepth');
    x.dispose();
  });

  it('names the value when the rate or seed is wrong', () => {
    expect(() => new StochasticDepth({ rate: -0.1 })).toThrow('(got rate=-0.1)');
    expect(() => new StochasticDepth({ rate: 0.1, seed: Number.NaN })).toThrow('(got seed=NaN)');
  });
});
