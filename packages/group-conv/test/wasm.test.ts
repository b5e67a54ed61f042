import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { groupConv2d } from '../src/op.js';
import { GROUP_CONV_STRATEGIES } from '../src/strategies.js';
import { naiveGroupConv } from './naive.js';

// The wasm backend runs the forward pass (its missing backprop kernels are @netblocks/wasm-train's job).
useBackend('wasm');

describe('groupConv2d on wasm equals the per-group reference', () => {
  it('runs on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  for (const groups of [1, 2, 4, 8, 32, 64]) {
    it(`groups=${groups}: every strategy, kernel 1 and 3, stride 1 and 2, every padding`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal([1, 8, 8, 64], 0, 1, 'float32', groups) as tf.Tensor4D;
        for (const k of [1, 3]) {
          const filter = tf.randomNormal([k, k, 64 / groups, 64], 0, 1, 'float32', k) as tf.Tensor4D;
          for (const strides of [1, 2]) {
            for (const padding of ['torch', 'same', 'valid'] as const) {
              const expected = naiveGroupConv(x, filter, groups, strides, padding);
              for (const strategy of ['auto', ...GROUP_CONV_STRATEGIES] as const) {
                if (strategy === 'matmul' && k !== 1) continue;
                expectTensorsClose(groupConv2d(x, filter, { groups, strides, padding, strategy }), expected, 1e-5);
              }
            }
          }
        }
      });
    });
  }
});
