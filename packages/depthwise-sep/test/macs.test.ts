import * as tf from '@tensorflow/tfjs';
import { profile } from '@netblocks/core';
import { useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { depthwiseSeparableMacs, standardConvMacs } from '../src/macs.js';
import { NetblocksSeparableConv2D } from '../src/separable-conv2d-layer.js';

useBackend('cpu');

function modelOf(layer: tf.layers.Layer, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

describe('depthwiseSeparableMacs and standardConvMacs', () => {
  it('count MobileNets eq. 1 and eq. 4', () => {
    expect(standardConvMacs(14, 14, 512, 512, 3)).toBe(14 * 14 * 512 * 512 * 9);
    expect(depthwiseSeparableMacs(14, 14, 512, 512, 3)).toBe(14 * 14 * 512 * 9 + 14 * 14 * 512 * 512);
    expect(depthwiseSeparableMacs(112, 112, 32, 64, 3)).toBe(3_612_672 + 25_690_112);
  });

  it.each([
    [32, 3],
    [64, 3],
    [1024, 3],
    [24, 5],
    [7, 7],
  ])('cost 1/Cout + 1/k^2 of a standard conv (eq. 5), Cout=%i k=%i', (outChannels, k) => {
    const separable = depthwiseSeparableMacs(10, 12, 16, outChannels, k);
    const standard = standardConvMacs(10, 12, 16, outChannels, k);
    // Exact in integers: separable / standard = (k^2 + Cout) / (Cout * k^2).
    expect(separable * outChannels * k * k).toBe(standard * (k * k + outChannels));
    expect(separable / standard).toBeCloseTo(1 / outChannels + 1 / (k * k), 14);
  });

  it('agree with profile on NetblocksSeparableConv2D and Conv2D', () => {
    const separable = modelOf(new NetblocksSeparableConv2D({ filters: 48 }), [20, 18, 16]);
    expect(profile(separable).macs).toBe(depthwiseSeparableMacs(20, 18, 16, 48, 3));
    const strided = modelOf(new NetblocksSeparableConv2D({ filters: 48, kernelSize: 5, strides: 2 }), [20, 18, 16]);
    expect(profile(strided).macs).toBe(depthwiseSeparableMacs(10, 9, 16, 48, 5));
    const standard = modelOf(tf.layers.conv2d({ filters: 48, kernelSize: 3, padding: 'same', useBias: false }), [20, 18, 16]);
    expect(profile(standard).macs).toBe(standardConvMacs(20, 18, 16, 48, 3));
    for (const model of [separable, strided, standard]) model.dispose();
  });

  it('name the argument and the value in their errors', () => {
    expect(() => depthwiseSeparableMacs(7, 7, 0, 8, 3)).toThrow('depthwiseSeparableMacs: `inChannels` must be a positive integer (got inChannels=0)');
    expect(() => standardConvMacs(7, 7.5, 8, 8, 3)).toThrow('standardConvMacs: `width` must be a positive integer (got width=7.5)');
  });
});
