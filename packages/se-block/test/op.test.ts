import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { applySeGate, globalAveragePool, hardSigmoidKeras, hardSigmoidTorch, squeezeExcite, type SeActivation, type SeGate, type SqueezeExciteWeights } from '../src/op.js';
import { naiveSqueezeExcite, scalar, toNested } from './naive.js';

useBackend('cpu');

const C = 6;
const CR = 3;

/** Random SE weights with non-zero biases; kernels as dense `[in, out]` matrices. */
function randomWeights(seed: number): SqueezeExciteWeights {
  return {
    reduceKernel: tf.randomNormal([C, CR], 0, 0.7, 'float32', seed),
    reduceBias: tf.randomNormal([CR], 0, 0.5, 'float32', seed + 1) as tf.Tensor1D,
    expandKernel: tf.randomNormal([CR, C], 0, 0.7, 'float32', seed + 2),
    expandBias: tf.randomNormal([C], 0, 0.5, 'float32', seed + 3) as tf.Tensor1D,
  };
}

function naiveOf(x: tf.Tensor, w: SqueezeExciteWeights, activation: SeActivation, gate: SeGate): tf.Tensor {
  const nested = {
    w1: toNested(w.reduceKernel, C, CR),
    b1: Array.from(w.reduceBias.dataSync()),
    w2: toNested(w.expandKernel, CR, C),
    b2: Array.from(w.expandBias.dataSync()),
  };
  return tf.tensor(naiveSqueezeExcite(x.dataSync(), x.shape, nested, activation, gate), x.shape);
}

describe('hard-sigmoid, in both definitions', () => {
  const grid = Array.from({ length: 81 }, (_, i) => -4 + i * 0.1);

  it('hardSigmoidKeras is clip(0.2x + 0.5, 0, 1), saturating at |x| = 2.5', () => {
    tf.tidy(() => {
      expectTensorsClose(hardSigmoidKeras(tf.tensor1d(grid)), grid.map(scalar.hardSigmoidKeras), 1e-6, 'absolute');
      expect(Array.from(hardSigmoidKeras(tf.tensor1d([-2.5, 0, 2.5, 1])).dataSync())).toEqual([0, 0.5, 1, expect.closeTo(0.7, 6)]);
    });
  });

  it('hardSigmoidTorch is relu6(x + 3) / 6, saturating at |x| = 3', () => {
    tf.tidy(() => {
      expectTensorsClose(hardSigmoidTorch(tf.tensor1d(grid)), grid.map(scalar.hardSigmoidTorch), 1e-6, 'absolute');
      expect(Array.from(hardSigmoidTorch(tf.tensor1d([-3, 0, 3, 1])).dataSync())).toEqual([0, 0.5, 1, expect.closeTo(4 / 6, 6)]);
    });
  });

  it('the two differ (slope 1/5 vs 1/6), so a checkpoint needs the right one', () => {
    tf.tidy(() => {
      const x = tf.tensor1d([1]);
      const diff = tf.sub(hardSigmoidKeras(x), hardSigmoidTorch(x)).dataSync()[0] as number;
      expect(diff).toBeCloseTo(0.2 - 1 / 6, 6);
    });
  });

  it('applySeGate dispatches by name and rejects unknown gates, naming the value', () => {
    tf.tidy(() => {
      const x = tf.tensor1d([-1, 0.3, 2]);
      expectTensorsClose(applySeGate(x, 'sigmoid'), [-1, 0.3, 2].map(scalar.sigmoid), 1e-6);
      expectTensorsClose(applySeGate(x, 'hardSigmoidTorch'), hardSigmoidTorch(x), 1e-7);
      expect(() => applySeGate(x, 'hardSigmoid' as SeGate)).toThrow('(got gate="hardSigmoid")');
    });
  });
});

describe('globalAveragePool', () => {
  it('is the mean over every axis but batch and channels, for ranks 3 to 5, with its gradient', () => {
    tf.tidy(() => {
      for (const shape of [[2, 7, 5], [2, 3, 4, 5], [1, 2, 3, 2, 5]]) {
        const x = tf.randomNormal(shape, 0, 1, 'float32', shape.length);
        const axes = shape.slice(1, -1).map((_, i) => i + 1);
        expectTensorsClose(globalAveragePool(x), tf.mean(x, axes), 1e-6);
        const weights = tf.randomNormal([shape[0] as number, 5], 0, 1, 'float32', 1);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(globalAveragePool(a), weights)))(x);
        const positions = shape.slice(1, -1).reduce((a, b) => a * b, 1);
        // d mean / dx = weight of its channel / positions, at every position.
        expectTensorsClose(g, tf.broadcastTo(tf.reshape(tf.div(weights, positions), [shape[0] as number, ...axes.map(() => 1), 5]), shape), 1e-6);
      }
    });
  });
});

describe('squeezeExcite', () => {
  const cases: [SeActivation, SeGate][] = [
    ['relu', 'sigmoid'],
    ['swish', 'sigmoid'],
    ['relu6', 'hardSigmoidTorch'],
    ['relu', 'hardSigmoidKeras'],
  ];
  for (const [activation, gate] of cases) {
    it(`matches the loop reference (${activation}, ${gate})`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 3, 4, C], 0, 2, 'float32', 5);
        const w = randomWeights(10);
        const y = squeezeExcite(x, w, { activation, gate });
        expect(y.shape).toEqual([2, 3, 4, C]);
        expectTensorsClose(y, naiveOf(x, w, activation, gate), 1e-5);
      });
    });
  }

  it('takes 1x1 conv kernels [1, 1, in, out] as well as dense ones', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 5, C], 0, 1, 'float32', 6);
      const w = randomWeights(20);
      const conv = { ...w, reduceKernel: w.reduceKernel.reshape([1, 1, C, CR]), expandKernel: w.expandKernel.reshape([1, 1, CR, C]) };
      expectTensorsClose(squeezeExcite(x, conv), squeezeExcite(x, w), 1e-7);
    });
  });

  it('works on any channels-last rank: [N, L, C] and [N, D, H, W, C]', () => {
    tf.tidy(() => {
      const w = randomWeights(30);
      for (const shape of [[3, 7, C], [1, 2, 3, 2, C]]) {
        const x = tf.randomNormal(shape, 0, 1, 'float32', 7);
        expectTensorsClose(squeezeExcite(x, w), naiveOf(x, w, 'relu', 'sigmoid'), 1e-5);
      }
    });
  });

  it('scales each image by its own excitation (the batch is not pooled)', () => {
    tf.tidy(() => {
      const w = randomWeights(40);
      const a = tf.randomNormal([1, 3, 3, C], 0, 1, 'float32', 8);
      const b = tf.randomNormal([1, 3, 3, C], 3, 1, 'float32', 9);
      const both = squeezeExcite(tf.concat([a, b]), w);
      expectTensorsClose(both, tf.concat([squeezeExcite(a, w), squeezeExcite(b, w)]), 1e-6);
    });
  });

  it('has the gradients of the composition written with plain tf ops', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 3, C], 0, 1, 'float32', 11);
      const w = randomWeights(50);
      const reference = (xx: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor): tf.Tensor => {
        const pooled = tf.div(tf.sum(xx, [1, 2]), 9) as tf.Tensor2D;
        const h = tf.add(tf.matMul(pooled, w1 as tf.Tensor2D), b1);
        const swish = tf.mul(h, tf.sigmoid(h));
        const s = tf.sigmoid(tf.add(tf.matMul(swish as tf.Tensor2D, w2 as tf.Tensor2D), b2));
        return tf.mul(xx, tf.reshape(s, [2, 1, 1, C]));
      };
      const ours = (xx: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor): tf.Tensor =>
        squeezeExcite(xx, { reduceKernel: w1, reduceBias: b1 as tf.Tensor1D, expandKernel: w2, expandBias: b2 as tf.Tensor1D }, { activation: 'swish' });
      // A loss that weighs every output differently, so each gradient entry is tested.
      const weights = tf.randomNormal([2, 3, 3, C], 0, 1, 'float32', 12);
      const loss = (f: typeof ours) => (...args: tf.Tensor[]) => tf.sum(tf.mul(f(...(args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])), weights));
      const inputs = [x, w.reduceKernel, w.reduceBias, w.expandKernel, w.expandBias];
      const got = tf.grads(loss(ours))(inputs);
      const expected = tf.grads(loss(reference))(inputs);
      got.forEach((g, i) => expectTensorsClose(g, expected[i] as tf.Tensor, 1e-5));
    });
  });

  it('names the argument and the value when shapes or options are wrong', () => {
    tf.tidy(() => {
      const w = randomWeights(60);
      expect(() => squeezeExcite(tf.zeros([2, C]), w)).toThrow('(got x.shape=[2, 6])');
      expect(() => squeezeExcite(tf.zeros([1, 2, 2, 5]), w)).toThrow('`reduceKernel` must be [5, 3] or [1, 1, 5, 3] (got reduceKernel.shape=[6, 3])');
      expect(() => squeezeExcite(tf.zeros([1, 2, 2, C]), w, { activation: 'gelu' as SeActivation })).toThrow('(got activation="gelu")');
    });
  });

  it('leaks no tensors', () => {
    const w = randomWeights(70);
    const x = tf.ones([2, 4, 4, C]);
    expectNoLeakedTensors(() => squeezeExcite(x, w, { activation: 'swish', gate: 'hardSigmoidTorch' }));
    tf.dispose([x, w.reduceKernel, w.reduceBias, w.expandKernel, w.expandBias]);
  });
});
