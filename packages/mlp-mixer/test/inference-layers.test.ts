import * as tf from '@tensorflow/tfjs';
import { profile } from '@netblocks/core';
import { expectLayerRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { ChannelDense } from '../src/channel-dense-layer.js';
import { LayerNorm } from '../src/layer-norm-layer.js';
import { channelDense, layerNorm } from '../src/op.js';
import '../src/register.js';

useBackend('cpu');

function modelOf(layer: tf.layers.Layer, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

/** Gives every weight of `layer` random values (the default biases and offsets are zeros). */
function randomizeWeights(layer: tf.layers.Layer, seed: number): void {
  layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0.5, 0.5, 'float32', seed + i)));
}

describe('layerNorm / LayerNorm', () => {
  it('computes what tf.layers.layerNormalization over the last axis computes, on ranks 2 to 4', () => {
    for (const shape of [[3, 8], [2, 5, 8], [2, 3, 4, 8]]) {
      const reference = tf.layers.layerNormalization({ axis: -1, epsilon: 1e-6 });
      tf.tidy(() => {
        const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 2);
        reference.apply(x);
        randomizeWeights(reference, 5);
        const [gamma, beta] = reference.getWeights() as [tf.Tensor1D, tf.Tensor1D];
        expectTensorsClose(layerNorm(x, { gamma, beta, epsilon: 1e-6 }), reference.apply(x) as tf.Tensor, 1e-5);
      });
      reference.dispose();
    }
  });

  it('has LayerNormalization weights (gamma, beta) and config keys, and matches it with center/scale off', () => {
    for (const [center, scale] of [[true, true], [false, true], [true, false], [false, false]] as const) {
      const ours = new LayerNorm({ name: 'norm', epsilon: 1e-6, center, scale });
      const theirs = tf.layers.layerNormalization({ name: 'norm', axis: -1, epsilon: 1e-6, center, scale });
      const x = tf.randomNormal([2, 5, 6], 0, 2, 'float32', 3);
      tf.dispose([ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor]);
      expect(ours.weights.map((w) => [w.originalName, w.shape])).toEqual(theirs.weights.map((w) => [w.originalName, w.shape]));
      if (ours.weights.length > 0) randomizeWeights(theirs, 9);
      ours.setWeights(theirs.getWeights());
      tf.tidy(() => expectTensorsClose(ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor, 1e-5));
      expect(ours.getConfig()).toMatchObject({ name: 'norm', axis: -1, epsilon: 1e-6, center, scale });
      expectLayerRoundTrip(ours, x);
      [ours, theirs].forEach((l) => l.dispose());
      x.dispose();
    }
  });

  it('leaks no tensors and rejects bad arguments, naming them', () => {
    const layer = new LayerNorm();
    const x = tf.randomNormal([1, 4, 3]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    expectNoLeakedTensors(() => layer.apply(x));
    expect(() => new LayerNorm({ epsilon: 0 })).toThrow('`epsilon` must be a positive number (got epsilon=0)');
    expect(() => layerNorm(x, { gamma: tf.ones([4]) as tf.Tensor1D })).toThrow('`gamma` must be [3] (got gamma.shape=[4])');
    x.dispose();
    layer.dispose();
  });
});

describe('channelDense / ChannelDense', () => {
  it('computes what tf.layers.dense computes on rank 3 and 4 inputs, with a fused activation', () => {
    for (const [shape, activation] of [[[2, 5, 6], 'linear'], [[2, 3, 4, 6], 'relu']] as const) {
      const reference = tf.layers.dense({ units: 7, activation });
      tf.tidy(() => {
        const x = tf.randomNormal([...shape], 0, 1, 'float32', 2);
        reference.apply(x);
        randomizeWeights(reference, 11);
        const [kernel, bias] = reference.getWeights() as [tf.Tensor2D, tf.Tensor1D];
        const y = channelDense(x, kernel, bias, activation);
        expect(y.shape).toEqual([...shape.slice(0, -1), 7]);
        expectTensorsClose(y, reference.apply(x) as tf.Tensor, 1e-5);
      });
      reference.dispose();
    }
  });

  it("has Dense's weights (kernel, bias) and config keys, MACs as profile counts a Dense, and round-trips", () => {
    for (const useBias of [true, false]) {
      const ours = new ChannelDense({ name: 'fc1', units: 12, useBias, activation: 'relu' });
      const theirs = tf.layers.dense({ name: 'fc1', units: 12, useBias, activation: 'relu' });
      const [a, b] = [modelOf(ours, [10, 8]), modelOf(theirs, [10, 8])];
      expect(ours.weights.map((w) => [w.originalName, w.shape])).toEqual(theirs.weights.map((w) => [w.originalName, w.shape]));
      randomizeWeights(theirs, 13);
      ours.setWeights(theirs.getWeights());
      const x = tf.randomNormal([3, 10, 8], 0, 1, 'float32', 4);
      tf.tidy(() => expectTensorsClose(a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor, 1e-5));
      expect(ours.getConfig()).toMatchObject({ name: 'fc1', units: 12, useBias, activation: 'relu' });
      expect(profile(a).macs).toBe(profile(b).macs);
      expect(profile(a).totalParams).toBe(profile(b).totalParams);
      expectLayerRoundTrip(ours, x);
      x.dispose();
      [a, b].forEach((m) => m.dispose());
    }
  });

  it('leaks no tensors and rejects bad arguments, naming them', () => {
    const layer = new ChannelDense({ units: 3 });
    const x = tf.randomNormal([1, 4, 2]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    expectNoLeakedTensors(() => layer.apply(x));
    expect(() => new ChannelDense({ units: 0 })).toThrow('`units` must be a positive integer (got units=0)');
    expect(() => new ChannelDense({ units: 2, activation: 'gelu' as 'relu' })).toThrow('(got activation="gelu")');
    expect(() => channelDense(x, tf.ones([3, 2]) as tf.Tensor2D)).toThrow('`kernel` must be [C, U] with C=2 (got kernel.shape=[3, 2])');
    x.dispose();
    layer.dispose();
  });
});
