import * as tf from '@tensorflow/tfjs';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { gelu, tokenMixing, type GeluApproximation, type TokenMixingWeights } from '../src/op.js';
import { flat, naiveGelu, naiveGeluDerivative, naiveTokenMixing, nested2, nested3, opsTokenMixing } from './naive.js';

useBackend('cpu');

const GRID = Array.from({ length: 161 }, (_, i) => -4 + i * 0.05);
const BOTH: GeluApproximation[] = ['exact', 'tanh'];

/** Random token-mixing weights for S tokens and D_S hidden units (biases non-zero). */
function randomWeights(tokens: number, hidden: number, seed: number): TokenMixingWeights {
  return {
    fc1Kernel: tf.randomNormal([tokens, hidden], 0, 0.5, 'float32', seed),
    fc1Bias: tf.randomNormal([hidden], 0, 0.5, 'float32', seed + 1),
    fc2Kernel: tf.randomNormal([hidden, tokens], 0, 0.5, 'float32', seed + 2),
    fc2Bias: tf.randomNormal([tokens], 0, 0.5, 'float32', seed + 3),
  };
}

describe('gelu', () => {
  it('exact is 0.5 x (1 + erf(x / sqrt 2)) and tanh is its tanh formula', () => {
    tf.tidy(() => {
      const x = tf.tensor1d(GRID);
      for (const approximation of BOTH) {
        const expected = GRID.map((v) => naiveGelu(v, approximation));
        expectTensorsClose(gelu(x, approximation), tf.tensor1d(expected), 1e-6, 'absolute');
      }
      expectTensorsClose(gelu(x), gelu(x, 'exact'), 0, 'absolute');
    });
  });

  it('the two differ by what the tanh approximation costs, and tend to x and 0 far out', () => {
    tf.tidy(() => {
      const x = tf.tensor1d(GRID);
      const diff = flat(tf.abs(tf.sub(gelu(x, 'exact'), gelu(x, 'tanh'))));
      const naiveDiff = GRID.map((v) => Math.abs(naiveGelu(v, 'exact') - naiveGelu(v, 'tanh')));
      // The largest gap is about 4.7e-4, near |x| = 2.7: far above float error, far below the values.
      expect(Math.max(...diff)).toBeGreaterThan(4e-4);
      expect(Math.max(...diff)).toBeCloseTo(Math.max(...naiveDiff), 6);
      for (const approximation of BOTH) {
        expectTensorsClose(gelu(tf.tensor1d([-10, 10]), approximation), tf.tensor1d([0, 10]), 1e-6, 'absolute');
      }
    });
  });

  it("matches TF.js's 'gelu' and 'gelu_new' activations, which the channel MLP's Dense uses", () => {
    tf.tidy(() => {
      const x = tf.tensor2d(GRID, [7, 23]);
      const layerOf = (activation: 'gelu' | 'gelu_new') => tf.layers.activation({ activation });
      expectTensorsClose(layerOf('gelu').apply(x) as tf.Tensor, gelu(x, 'exact'), 1e-6, 'absolute');
      expectTensorsClose(layerOf('gelu_new').apply(x) as tf.Tensor, gelu(x, 'tanh'), 1e-6, 'absolute');
    });
  });

  it('has the derivative of its formula', () => {
    tf.tidy(() => {
      const x = tf.tensor1d(GRID);
      const exact = tf.grad((t: tf.Tensor) => gelu(t, 'exact'))(x);
      expectTensorsClose(exact, tf.tensor1d(GRID.map(naiveGeluDerivative)), 1e-5, 'absolute');
      const h = 1e-5;
      const numeric = GRID.map((v) => (naiveGelu(v + h, 'tanh') - naiveGelu(v - h, 'tanh')) / (2 * h));
      expectTensorsClose(tf.grad((t: tf.Tensor) => gelu(t, 'tanh'))(x), tf.tensor1d(numeric), 1e-5, 'absolute');
    });
  });

  it('rejects an unknown approximation, naming it', () => {
    expect(() => gelu(tf.zeros([2]), 'fast' as GeluApproximation)).toThrow(`\`approximation\` must be 'exact' or 'tanh' (got approximation="fast")`);
  });
});

describe('tokenMixing', () => {
  const [N, S, C, DS] = [2, 5, 3, 4];

  it('maps [N, S, C] to [N, S, C] and equals the per-channel loops of eq. 1, for both GELUs', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([N, S, C], 0, 1, 'float32', 1) as tf.Tensor3D;
      const w = randomWeights(S, DS, 10);
      const naiveWeights = { w1: nested2(w.fc1Kernel), b1: flat(w.fc1Bias), w2: nested2(w.fc2Kernel), b2: flat(w.fc2Bias) };
      for (const approximation of BOTH) {
        const y = tokenMixing(x, w, { gelu: approximation });
        expect(y.shape).toEqual([N, S, C]);
        expectTensorsClose(y, tf.tensor3d(naiveTokenMixing(nested3(x), naiveWeights, approximation)), 1e-5);
      }
    });
  });

  it('mixes every channel with the same weights: channel c alone gives slice c of the full output', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([N, S, C], 0, 1, 'float32', 2) as tf.Tensor3D;
      const w = randomWeights(S, DS, 20);
      const full = tokenMixing(x, w);
      for (let c = 0; c < C; c++) {
        const alone = tokenMixing(tf.slice(x, [0, 0, c], [N, S, 1]), w);
        expectTensorsClose(alone, tf.slice(full, [0, 0, c], [N, S, 1]), 1e-6);
      }
      // And every image with the same weights too: a batch of one gives its slice of the batch.
      expectTensorsClose(tokenMixing(tf.slice(x, [1, 0, 0], [1, S, C]), w), tf.slice(full, [1, 0, 0], [1, S, C]), 1e-6);
    });
  });

  it('commutes with a permutation of the channels (but not of the tokens)', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([N, S, C], 0, 1, 'float32', 3) as tf.Tensor3D;
      const w = randomWeights(S, DS, 30);
      const channels = tf.tensor1d([2, 0, 1], 'int32');
      const permutedFirst = tokenMixing(tf.gather(x, channels, 2), w);
      expectTensorsClose(permutedFirst, tf.gather(tokenMixing(x, w), channels, 2), 1e-6);
      const tokens = tf.tensor1d([4, 3, 2, 1, 0], 'int32');
      const diff = tf.max(tf.abs(tf.sub(tokenMixing(tf.gather(x, tokens, 1), w), tf.gather(tokenMixing(x, w), tokens, 1))));
      expect(diff.dataSync()[0]).toBeGreaterThan(1e-3);
    });
  });

  it('has the gradients of the explicit-op reference for the input and every weight', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([N, S, C], 0, 1, 'float32', 4) as tf.Tensor3D;
      const w = randomWeights(S, DS, 40);
      const r = tf.randomNormal([N, S, C], 0, 1, 'float32', 5);
      for (const approximation of BOTH) {
        const ours = tf.grads((a, b, c, d, e) =>
          tf.sum(tf.mul(tokenMixing(a as tf.Tensor3D, { fc1Kernel: b as tf.Tensor2D, fc1Bias: c as tf.Tensor1D, fc2Kernel: d as tf.Tensor2D, fc2Bias: e as tf.Tensor1D }, { gelu: approximation }), r)),
        )([x, w.fc1Kernel, w.fc1Bias, w.fc2Kernel, w.fc2Bias]);
        const reference = tf.grads((a, b, c, d, e) => tf.sum(tf.mul(opsTokenMixing(a, b, c, d, e, approximation), r)))([
          x,
          w.fc1Kernel,
          w.fc1Bias,
          w.fc2Kernel,
          w.fc2Bias,
        ]);
        expect(ours.map((g) => g.shape)).toEqual([[N, S, C], [S, DS], [DS], [DS, S], [S]]);
        ours.forEach((g, i) => expectTensorsClose(g, reference[i] as tf.Tensor, 1e-5));
      }
    });
  });

  it('rejects inputs and weights of the wrong shape, naming them and their shapes', () => {
    tf.tidy(() => {
      const w = randomWeights(S, DS, 50);
      expect(() => tokenMixing(tf.zeros([S, C]) as unknown as tf.Tensor3D, w)).toThrow('`x` must be [N, S, C] (got x.shape=[5, 3])');
      expect(() => tokenMixing(tf.zeros([1, 6, C]), w)).toThrow('`fc1Kernel` must be [S, D_S] with S=6 tokens (got fc1Kernel.shape=[5, 4])');
      expect(() => tokenMixing(tf.zeros([1, S, C]), { ...w, fc2Kernel: tf.zeros([S, DS]) })).toThrow(
        '`fc2Kernel` must be [4, 5] (got fc2Kernel.shape=[5, 4], S=5, D_S=4)',
      );
      expect(() => tokenMixing(tf.zeros([1, S, C]), { ...w, fc2Bias: tf.zeros([DS]) })).toThrow('`fc2Bias` must be [5]');
      expect(() => tokenMixing(tf.zeros([1, S, C]), w, { gelu: 'erf' as GeluApproximation })).toThrow('(got gelu="erf")');
    });
  });

  it('leaks no tensors, forward or backward', () => {
    const x = tf.randomNormal([N, S, C]) as tf.Tensor3D;
    const w = randomWeights(S, DS, 60);
    expectNoLeakedTensors(() => tokenMixing(x, w, { gelu: 'tanh' }));
    expectNoLeakedTensors(() => tf.grads((a, b) => tokenMixing(a as tf.Tensor3D, { ...w, fc1Kernel: b as tf.Tensor2D }).sum())([x, w.fc1Kernel]));
    tf.dispose([x, ...Object.values(w)]);
  });
});
