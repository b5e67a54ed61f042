import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeakedTensors, maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { createModel, getModelInfo, listModels, optimizeForInference } from '../src/index.js';
import { randomizeBatchNorms } from '@netblocks/test-utils';

useBackend('wasm');

/** A small input the architecture allows: 64 px, or its minimum when that is larger. */
function smallSize(name: string): number {
  return Math.max(64, getModelInfo(name).minInputSize);
}

function expectFinite(t: tf.Tensor): void {
  const values = t.dataSync();
  expect(values.every((v) => Number.isFinite(v)), 'NaN or infinity in the output').toBe(true);
}

/** Models over 50 M parameters (VGG, RepVGG-B2/B3, ResNeXt-101 32x8d, Mixer-B/L) are built once in
 * this file: their weights, not their activations, cost the time. Their families' feature paths are
 * checked on the smaller members. */
const BIG = 50e6;

/** Every registered model at a small input: logits, and the optimized model's logits. Each model is
 * built once here (the big ones' weights, not their activations, cost the time). */
describe.each(listModels())('%s', (name) => {
  const info = getModelInfo(name);
  // A classifier with fixed-size dense layers (VGG) takes only its own size.
  const size = info.topInputSize ?? smallSize(name);
  let model: tf.LayersModel;
  let x: tf.Tensor;
  beforeAll(() => {
    model = createModel(name, { numClasses: 10, inputShape: [size, size, 3] });
    x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', 1);
  });
  afterAll(() => {
    model.dispose();
    x.dispose();
  });

  it('classifies a small batch: [2, numClasses], finite, no leaked tensors', () => {
    expectNoLeakedTensors(() => {
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 10]);
      expectFinite(y);
      return y;
    });
  });

  it('optimizeForInference: the same logits within 1e-4 relative, no BatchNorm, Dropout or stochastic depth left', () => {
    randomizeBatchNorms(model);
    const optimized = optimizeForInference(model);
    tf.tidy(() => {
      const expected = model.predict(x) as tf.Tensor;
      const actual = optimized.predict(x) as tf.Tensor;
      expect(actual.shape).toEqual(expected.shape);
      expect(maxRelativeDifference(actual, expected)).toBeLessThan(1e-4);
    });
    const classes = optimized.layers.map((l) => l.getClassName());
    for (const gone of ['BatchNormalization', 'Dropout', 'NetblocksStochasticDepth']) expect(classes, `${gone} left`).not.toContain(gone);
    const hadFoldable = model.layers.some((l) => ['BatchNormalization', 'Dropout', 'NetblocksStochasticDepth'].includes(l.getClassName()));
    if (hadFoldable) expect(optimized.layers.length).toBeLessThan(model.layers.length);
    optimized.dispose();
  });
});

/** Every model under 50 M parameters: pooled features (numClasses 0) and the stage feature maps. */
describe.each(listModels().filter((n) => getModelInfo(n).reference.totalParams <= BIG))('%s', (name) => {
  const size = smallSize(name);

  it('numClasses: 0 returns pooled features; features: true returns the stage maps featureInfo describes', () => {
    const x = tf.randomNormal([1, size, size, 3]);
    const pooled = createModel(name, { numClasses: 0, inputShape: [size, size, 3] });
    const features = createModel(name, { features: true, inputShape: [size, size, 3] });
    tf.tidy(() => {
      const p = pooled.predict(x) as tf.Tensor;
      expect(p.shape).toEqual([1, pooled.numFeatures]);
      expectFinite(p);
      const maps = [features.predict(x)].flat() as tf.Tensor[];
      expect(maps.length).toBe(features.featureInfo.length);
      maps.forEach((m, i) => {
        const { channels, reduction } = features.featureInfo[i] as { channels: number; reduction: number };
        const [n, h, w, c] = m.shape;
        expect([n, c], `feature ${i}`).toEqual([1, channels]);
        // size / reduction exactly where convs are padded; a little less where they are not (SqueezeNet).
        expect(h, `feature ${i} height`).toBe(w);
        expect(h as number, `feature ${i} height`).toBeLessThanOrEqual(Math.ceil(size / reduction));
        expect(h as number, `feature ${i} height`).toBeGreaterThanOrEqual(Math.floor((size - 8) / reduction));
      });
      const reductions = features.featureInfo.map((f) => f.reduction);
      expect(reductions).toEqual([...reductions].sort((a, b) => a - b));
    });
    x.dispose();
    pooled.dispose();
    features.dispose();
  });
});
