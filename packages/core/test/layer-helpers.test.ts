import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { applyActivation, fusedActivation, type ActivationName } from '../src/activations.js';
import { checkInitializer, makeInitializer } from '../src/initializers.js';
import { positivePair } from '../src/math.js';

useBackend('cpu');

describe('applyActivation', () => {
  it('computes what tf.layers.activation computes, for every name', () => {
    const names: ActivationName[] = ['relu', 'relu6', 'swish', 'sigmoid', 'hardSigmoid', 'gelu', 'tanh', 'elu', 'linear'];
    tf.tidy(() => {
      const x = tf.linspace(-8, 8, 65);
      for (const name of names) {
        const layer = tf.layers.activation({ activation: name as never });
        expectTensorsClose(applyActivation(x, name), layer.apply(x) as tf.Tensor, 1e-6);
      }
    });
  });
  it('names the fused kernels TF.js has, and only those', () => {
    expect(fusedActivation('relu6')).toBe('relu6');
    expect(fusedActivation('swish')).toBeUndefined();
    expect(() => applyActivation(tf.zeros([1]), 'mish' as never)).toThrow(/`activation`.*"mish"/);
  });
});

describe('initializers by name', () => {
  it('makes the named initializer and rejects unknown names', () => {
    expect(checkInitializer('Layer', 'kernelInitializer', 'heNormal')).toBe('heNormal');
    const ones = makeInitializer('ones').apply([2]);
    expect(Array.from(ones.dataSync())).toEqual([1, 1]);
    ones.dispose();
    expect(() => checkInitializer('Layer', 'kernelInitializer', 'magic')).toThrow('Layer: `kernelInitializer` must be one of');
  });
});

describe('positivePair', () => {
  it('expands one number and checks pairs', () => {
    expect(positivePair('f', 'strides', 2)).toEqual([2, 2]);
    expect(positivePair('f', 'strides', [1, 2])).toEqual([1, 2]);
    expect(() => positivePair('f', 'strides', [1, 0])).toThrow('f: `strides` must be a positive integer or a pair of them (got strides=[1,0])');
    expect(() => positivePair('f', 'strides', [1, 2, 3] as never)).toThrow(/strides=\[1,2,3\]/);
  });
});
