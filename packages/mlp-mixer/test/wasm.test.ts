import * as tf from '@tensorflow/tfjs';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { mixerBlock } from '../src/blocks.js';
import { gelu, tokenMixing } from '../src/op.js';
import { flat, naiveGelu, naiveTokenMixing, nested2, nested3, opsMixerBlock, opsTokenMixing } from './naive.js';

// Node's default backend: Erf, the matmuls and the transposes all run on wasm, and so does the
// custom gradient (the block's Dense gradients too: only the conv backprops are missing there).
useBackend('wasm');

describe('on the wasm backend', () => {
  it('runs on wasm', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('gelu equals both formulas', () => {
    tf.tidy(() => {
      const grid = Array.from({ length: 81 }, (_, i) => -4 + i * 0.1);
      for (const approximation of ['exact', 'tanh'] as const) {
        expectTensorsClose(gelu(tf.tensor1d(grid), approximation), tf.tensor1d(grid.map((v) => naiveGelu(v, approximation))), 1e-6, 'absolute');
      }
    });
  });

  it('tokenMixing equals the loops of eq. 1, and its gradients the explicit-op reference', () => {
    tf.tidy(() => {
      const [n, s, c, ds] = [2, 7, 4, 5];
      const x = tf.randomNormal([n, s, c], 0, 1, 'float32', 1) as tf.Tensor3D;
      const w = [tf.randomNormal([s, ds], 0, 0.5, 'float32', 2), tf.randomNormal([ds], 0, 0.5, 'float32', 3), tf.randomNormal([ds, s], 0, 0.5, 'float32', 4), tf.randomNormal([s], 0, 0.5, 'float32', 5)] as const;
      const weights = { fc1Kernel: w[0] as tf.Tensor2D, fc1Bias: w[1] as tf.Tensor1D, fc2Kernel: w[2] as tf.Tensor2D, fc2Bias: w[3] as tf.Tensor1D };
      const naive = naiveTokenMixing(nested3(x), { w1: nested2(w[0]), b1: flat(w[1]), w2: nested2(w[2]), b2: flat(w[3]) }, 'exact');
      expectTensorsClose(tokenMixing(x, weights), tf.tensor3d(naive), 1e-5);
      const r = tf.randomNormal([n, s, c], 0, 1, 'float32', 6);
      const ours = tf.grads((a, b, c1, d, e) =>
        tf.sum(tf.mul(tokenMixing(a as tf.Tensor3D, { fc1Kernel: b as tf.Tensor2D, fc1Bias: c1 as tf.Tensor1D, fc2Kernel: d as tf.Tensor2D, fc2Bias: e as tf.Tensor1D }), r)),
      )([x, ...w]);
      const reference = tf.grads((a, b, c1, d, e) => tf.sum(tf.mul(opsTokenMixing(a, b, c1, d, e, 'exact'), r)))([x, ...w]);
      ours.forEach((g, i) => expectTensorsClose(g, reference[i] as tf.Tensor, 1e-5));
    });
  });

  it('a mixerBlock equals the explicit-op reference', () => {
    const input = tf.input({ shape: [6, 8] });
    const model = tf.model({ inputs: input, outputs: mixerBlock({ name: 'blocks.0', tokens: 6, channels: 8, tokenMlpDim: 3, channelMlpDim: 16, gelu: 'tanh' })(input) });
    tf.tidy(() => {
      const values = model.weights.map((v, i) => tf.add(tf.randomNormal(v.shape as number[], 0, 0.5, 'float32', 10 + i), v.name.endsWith('gamma') ? 1 : 0));
      model.setWeights(values);
      const at = (i: number) => values[i] as tf.Tensor;
      const x = tf.randomNormal([2, 6, 8], 0, 1, 'float32', 7);
      const expected = opsMixerBlock(x, { norm1: [at(0), at(1)], tokens: [at(2), at(3), at(4), at(5)], norm2: [at(6), at(7)], channels: [at(8), at(9), at(10), at(11)] }, 1e-6, 'tanh');
      expectTensorsClose(model.predict(x) as tf.Tensor, expected, 1e-5);
    });
    model.dispose();
  });
});
