import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { chooseStrategy } from '../src/choose-strategy.js';
import { groupConv2d, resolveGroupConvGeometry } from '../src/op.js';
import { blockDiagonalKernel, GROUP_CONV_STRATEGIES, type GroupConvStrategy } from '../src/strategies.js';
import { naiveGroupConv } from './naive.js';

useBackend('cpu');

const CHANNELS = 64;
const GROUPS = [1, 2, 4, 8, 32, CHANNELS];
const PADDINGS = ['torch', 'same', 'valid'] as const;

function strategiesFor(k: number): (GroupConvStrategy | 'auto')[] {
  return ['auto', ...GROUP_CONV_STRATEGIES.filter((s) => s !== 'matmul' || k === 1)];
}

describe('groupConv2d equals the per-group reference (forward)', () => {
  for (const k of [3, 1]) {
    for (const groups of GROUPS) {
      it(`k=${k} groups=${groups}: every strategy, stride, padding`, () => {
        tf.tidy(() => {
          // An even size, so TF 'same' at stride 2 pads asymmetrically.
          const x = tf.randomNormal([2, 8, 8, CHANNELS], 0, 1, 'float32', groups) as tf.Tensor4D;
          const filter = tf.randomNormal([k, k, CHANNELS / groups, CHANNELS], 0, 1, 'float32', k) as tf.Tensor4D;
          for (const strides of [1, 2]) {
            for (const padding of PADDINGS) {
              const expected = naiveGroupConv(x, filter, groups, strides, padding);
              for (const strategy of strategiesFor(k)) {
                const y = groupConv2d(x, filter, { groups, strides, padding, strategy });
                expectTensorsClose(y, expected, 1e-5);
              }
            }
          }
        });
      });
    }
  }

  it('handles dilation, bias and a fused activation', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 9, 9, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, 4, 8], 0, 1, 'float32', 4) as tf.Tensor4D;
      const bias = tf.randomNormal([8], 0, 1, 'float32', 5) as tf.Tensor1D;
      const ref = tf.relu(tf.add(naiveGroupConv(x, filter, 4, 1, 'torch', 2), bias));
      for (const strategy of strategiesFor(3)) {
        expectTensorsClose(groupConv2d(x, filter, { groups: 4, dilation: 2, bias, activation: 'relu', strategy }), ref, 1e-5);
      }
      // Depthwise-shaped (one channel per group), whose fast path fuses bias and activation.
      const dw = tf.randomNormal([3, 3, 1, 16], 0, 1, 'float32', 6) as tf.Tensor4D;
      const b16 = tf.randomNormal([16], 0, 1, 'float32', 7) as tf.Tensor1D;
      expectTensorsClose(groupConv2d(x, dw, { groups: 16, bias: b16, activation: 'relu6' }), tf.relu6(tf.add(naiveGroupConv(x, dw, 16, 1, 'torch'), b16)), 1e-5);
    });
  });

  it('expands to a block-diagonal kernel with zeros across groups', () => {
    tf.tidy(() => {
      const filter = tf.range(1, 1 + 2 * 4).reshape([1, 1, 2, 4]) as tf.Tensor4D; // cg=2, Cout=4, G=2
      const full = blockDiagonalKernel(filter, 2).reshape([4, 4]).arraySync();
      expect(full).toEqual([
        [1, 2, 0, 0],
        [5, 6, 0, 0],
        [0, 0, 3, 4],
        [0, 0, 7, 8],
      ]);
    });
  });
});

describe('groupConv2d gradients equal the reference gradients (input and kernel)', () => {
  for (const strategy of [...GROUP_CONV_STRATEGIES]) {
    for (const [k, groups, strides] of [
      [3, 4, 1],
      [3, 8, 2],
      [1, 4, 1],
      [1, 2, 2],
    ] as const) {
      if (strategy === 'matmul' && k !== 1) continue;
      it(`${strategy}: k=${k} groups=${groups} stride=${strides}`, () => {
        tf.tidy(() => {
          const x = tf.randomNormal([2, 7, 7, 16], 0, 1, 'float32', 11) as tf.Tensor4D;
          const filter = tf.randomNormal([k, k, 16 / groups, 24], 0, 1, 'float32', 12) as tf.Tensor4D;
          const upstream = tf.randomNormal(naiveGroupConv(x, filter, groups, strides, 'torch').shape, 0, 1, 'float32', 13);
          const loss = (f: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), upstream));
          const [dx, dw] = tf.grads(loss((a, b) => groupConv2d(a, b, { groups, strides, strategy })))([x, filter]);
          const [rx, rw] = tf.grads(loss((a, b) => naiveGroupConv(a, b, groups, strides, 'torch')))([x, filter]);
          expectTensorsClose(dx as tf.Tensor, rx as tf.Tensor, 1e-5);
          expectTensorsClose(dw as tf.Tensor, rw as tf.Tensor, 1e-5);
        });
      });
    }
  }
});

describe('groupConv2d contract', () => {
  it('names both values when groups does not divide the channels', () => {
    const x = tf.zeros([1, 4, 4, 30]) as tf.Tensor4D;
    expect(() => groupConv2d(x, tf.zeros([3, 3, 7, 28]) as tf.Tensor4D, { groups: 4 })).toThrow(
      /`groups` must divide the input and output channels \(got Cin=30, Cout=28, groups=4\)/,
    );
    expect(() => groupConv2d(tf.zeros([1, 4, 4, 32]) as tf.Tensor4D, tf.zeros([3, 3, 4, 30]) as tf.Tensor4D, { groups: 4 })).toThrow(/Cout=30, groups=4/);
    expect(() => groupConv2d(tf.zeros([1, 4, 4, 32]) as tf.Tensor4D, tf.zeros([3, 3, 4, 32]) as tf.Tensor4D, { groups: 4 })).toThrow(
      /Cin\/groups = 8 input channels/,
    );
    expect(() => groupConv2d(tf.zeros([1, 4, 4, 8]) as tf.Tensor4D, tf.zeros([3, 3, 2, 8]) as tf.Tensor4D, { groups: 4, strategy: 'fast' as never })).toThrow(/`strategy`.*"fast"/);
    expect(() => groupConv2d(tf.zeros([1, 4, 4, 8]) as tf.Tensor4D, tf.zeros([3, 3, 2, 8]) as tf.Tensor4D, { groups: 4, strides: 0 })).toThrow(/`strides`.*strides=0/);
    expect(() => groupConv2d(tf.zeros([1, 4, 4, 8]) as tf.Tensor4D, tf.zeros([3, 3, 2, 8]) as tf.Tensor4D, { groups: 4, activation: 'gelu' as never })).toThrow(/`activation`.*"gelu"/);
    expect(() => groupConv2d(tf.zeros([1, 4, 4, 8]) as tf.Tensor4D, tf.zeros([3, 3, 2, 8]) as tf.Tensor4D, { groups: 4, strategy: 'matmul' })).toThrow(/'matmul' strategy needs a 1x1 kernel/);
    tf.disposeVariables();
  });

  it('leaks no tensors on any strategy', () => {
    const x = tf.randomNormal([1, 6, 6, 8]) as tf.Tensor4D;
    const f1 = tf.randomNormal([1, 1, 2, 8]) as tf.Tensor4D;
    const f3 = tf.randomNormal([3, 3, 2, 8]) as tf.Tensor4D;
    for (const strategy of GROUP_CONV_STRATEGIES) {
      expectNoLeakedTensors(() => groupConv2d(x, f1, { groups: 4, strides: 2, strategy }));
      if (strategy !== 'matmul') expectNoLeakedTensors(() => groupConv2d(x, f3, { groups: 4, strategy }));
    }
    tf.dispose([x, f1, f3]);
  });

  it('auto picks the depthwise form for many narrow groups and per-group convs for few wide ones', () => {
    const pick = (x: number[], f: number[], groups: number, backend: string) =>
      chooseStrategy(x, f, resolveGroupConvGeometry(x, f, { groups }), backend);
    expect(pick([1, 56, 56, 128], [3, 3, 4, 128], 32, 'wasm')).toBe('depthwise'); // ResNeXt50 stage 1
    expect(pick([1, 28, 28, 256], [3, 3, 64, 256], 4, 'wasm')).toBe('split'); // RepVGG-B1g4
    expect(pick([1, 28, 28, 240], [1, 1, 80, 60], 3, 'cpu')).toBe('matmul'); // ShuffleNet g3 on cpu
    expect(pick([1, 28, 28, 384], [1, 1, 48, 96], 8, 'wasm')).toBe('matmul'); // ShuffleNet g8 reducing 1x1
    expect(pick([1, 14, 14, 192], [1, 1, 24, 768], 8, 'wasm')).toBe('split'); // ShuffleNet g8 expanding 1x1
  });
});
