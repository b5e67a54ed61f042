import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profile } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectLayerRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { squeezeExcite } from '../src/op.js';
import { SqueezeExcite, type SqueezeExciteArgs } from '../src/squeeze-excite-layer.js';
import '../src/register.js';
import { naiveSqueezeExcite, toNested } from './naive.js';

useBackend('cpu');

const tmp = mkdtempSync(join(tmpdir(), 'se-block-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function modelOf(args: SqueezeExciteArgs, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({ inputs: input, outputs: new SqueezeExcite(args).apply(input) as tf.SymbolicTensor });
}

/** Random values in every weight (the initial biases are zero, which would hide a bias bug). */
function randomize(layer: tf.layers.Layer, seed: number): void {
  layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + i)));
}

describe('SqueezeExcite', () => {
  it('keeps the input shape and owns fc1/fc2 kernels and biases, as 1x1 convs by default', () => {
    const model = modelOf({ name: 'se', reducedChannels: 4 }, [5, 5, 32]);
    const layer = model.getLayer('se');
    expect(model.outputs[0]?.shape).toEqual([null, 5, 5, 32]);
    expect(layer.weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['se/fc1/kernel', [1, 1, 32, 4]],
      ['se/fc1/bias', [4]],
      ['se/fc2/kernel', [1, 1, 4, 32]],
      ['se/fc2/bias', [32]],
    ]);
  });

  it('names its FCs as asked (timm EfficientNet: conv_reduce / conv_expand) and stores dense kernels on request', () => {
    const model = modelOf({ name: 'blocks.1.0.se', reducedChannels: 4, reduceName: 'conv_reduce', expandName: 'conv_expand', kernelLayout: 'dense' }, [6, 6, 96]);
    expect(model.getLayer('blocks.1.0.se').weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['blocks.1.0.se/conv_reduce/kernel', [96, 4]],
      ['blocks.1.0.se/conv_reduce/bias', [4]],
      ['blocks.1.0.se/conv_expand/kernel', [4, 96]],
      ['blocks.1.0.se/conv_expand/bias', [96]],
    ]);
  });

  it('has 2 * C * Cr + C + Cr parameters, all trainable', () => {
    for (const [c, cr] of [[64, 4], [256, 16], [96, 4], [2048, 128]] as const) {
      const model = modelOf({ name: 'se', reducedChannels: cr }, [3, 3, c]);
      expect(model.countParams()).toBe(2 * c * cr + c + cr);
      expect(profile(model).trainableParams).toBe(2 * c * cr + c + cr);
    }
  });

  it('reports its MACs to profile: C * Cr + Cr * C per image, at any resolution', () => {
    for (const size of [7, 56]) {
      const p = profile(modelOf({ name: 'se', reducedChannels: 16 }, [size, size, 256]));
      expect(p.macs).toBe(256 * 16 + 16 * 256);
      expect(p.unknownLayers).toEqual([]);
    }
  });

  it('computes the loop reference with its own weights (swish, hard-sigmoid gate, both layouts)', () => {
    for (const kernelLayout of ['conv1x1', 'dense'] as const) {
      const model = modelOf({ name: 'se', reducedChannels: 3, activation: 'swish', gate: 'hardSigmoidTorch', kernelLayout }, [4, 4, 8]);
      const layer = model.getLayer('se');
      randomize(layer, 3);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 4, 4, 8], 0, 2, 'float32', 1);
        const [w1, b1, w2, b2] = layer.getWeights() as tf.Tensor[];
        const naive = naiveSqueezeExcite(
          x.dataSync(),
          x.shape,
          { w1: toNested(w1 as tf.Tensor, 8, 3), b1: Array.from((b1 as tf.Tensor).dataSync()), w2: toNested(w2 as tf.Tensor, 3, 8), b2: Array.from((b2 as tf.Tensor).dataSync()) },
          'swish',
          'hardSigmoidTorch',
        );
        expectTensorsClose(model.predict(x) as tf.Tensor, tf.tensor(naive, x.shape), 1e-5);
      });
    }
  });

  it('passes gradients to all four weights, equal to those of the op', () => {
    const layer = new SqueezeExcite({ name: 'se', reducedChannels: 2 });
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 3, 6], 0, 1, 'float32', 13);
      layer.apply(x);
      randomize(layer, 20);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar);
      const names = layer.trainableWeights.map((w) => w.name);
      expect(Object.keys(grads).sort()).toEqual([...names].sort());
      const [w1, b1, w2, b2] = layer.getWeights() as [tf.Tensor, tf.Tensor1D, tf.Tensor, tf.Tensor1D];
      const expected = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
        tf.sum(tf.square(squeezeExcite(x, { reduceKernel: a, reduceBias: b as tf.Tensor1D, expandKernel: c, expandBias: d as tf.Tensor1D }))),
      )([w1, b1, w2, b2]);
      names.forEach((n, i) => {
        const g = grads[n] as tf.Tensor;
        expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
        expectTensorsClose(g, expected[i] as tf.Tensor, 1e-5);
      });
    });
    layer.dispose();
  });

  it('returns its resolved args from getConfig and survives a config round trip', () => {
    const layer = new SqueezeExcite({ name: 'probe', reducedChannels: 5, gate: 'hardSigmoidKeras', reduceName: 'conv_reduce', expandName: 'conv_expand' });
    expect(layer.getConfig()).toMatchObject({
      name: 'probe',
      reducedChannels: 5,
      activation: 'relu',
      gate: 'hardSigmoidKeras',
      kernelLayout: 'conv1x1',
      reduceName: 'conv_reduce',
      expandName: 'conv_expand',
    });
    const x = tf.randomNormal([2, 3, 3, 10], 0, 1, 'float32', 4);
    expectLayerRoundTrip(layer, x);
    expectLayerRoundTrip(new SqueezeExcite({ name: 'dense', reducedChannels: 2, kernelLayout: 'dense', activation: 'swish' }), x);
    x.dispose();
  });

  it('saves and loads through saveModel / loadModel, under its prefixed className, snake_case names intact', async () => {
    const args = { name: 'blocks.1.0.se', reducedChannels: 4, activation: 'swish', gate: 'hardSigmoidTorch', reduceName: 'conv_reduce', expandName: 'conv_expand' } as const;
    const model = modelOf(args, [4, 4, 16]);
    randomize(model.getLayer('blocks.1.0.se'), 7);
    await saveModel(model, join(tmp, 'se'));
    const loaded = await loadModel(join(tmp, 'se'));
    const layer = loaded.getLayer('blocks.1.0.se');
    expect(layer.getClassName()).toBe('NetblocksSqueezeExcite');
    // TF.js camel-cases config strings on load ('conv_reduce' -> 'convReduce'); the layer undoes it.
    expect(layer.getConfig()).toMatchObject({ reduceName: 'conv_reduce', expandName: 'conv_expand', gate: 'hardSigmoidTorch' });
    expect(layer.weights.map((w) => w.originalName)).toEqual(model.getLayer('blocks.1.0.se').weights.map((w) => w.originalName));
    tf.tidy(() => {
      const x = tf.randomNormal([2, 4, 4, 16], 0, 1, 'float32', 9);
      expectTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    });
  });

  it('leaks no tensors', () => {
    const layer = new SqueezeExcite({ name: 'se', reducedChannels: 2, activation: 'swish' });
    const x = tf.ones([1, 4, 4, 8]);
    (layer.apply(x) as tf.Tensor).dispose(); // the first call creates the weights, which the layer keeps
    expectNoLeakedTensors(() => layer.apply(x));
    x.dispose();
    layer.dispose();
  });

  it('names the argument and the value when its args or input are wrong', () => {
    expect(() => new SqueezeExcite({ reducedChannels: 0 })).toThrow('(got reducedChannels=0)');
    expect(() => new SqueezeExcite({ reducedChannels: 4, gate: 'relu' as 'sigmoid' })).toThrow('(got gate="relu")');
    expect(() => new SqueezeExcite({ reducedChannels: 4, kernelLayout: 'linear' as 'dense' })).toThrow('(got kernelLayout="linear")');
    expect(() => new SqueezeExcite({ reducedChannels: 4, reduceName: 'fc', expandName: 'fc' })).toThrow('(got expandName="fc")');
    expect(() => new SqueezeExcite({ reducedChannels: 4, reduceName: 'a/b' })).toThrow('(got reduceName="a/b")');
    expect(() => new SqueezeExcite({ reducedChannels: 4, reduceName: 'fc_1' })).toThrow('(got reduceName="fc_1")');
    expect(() => new SqueezeExcite({ name: 'flat', reducedChannels: 4 }).apply(tf.input({ shape: [8] }))).toThrow('(got inputShape=[null,8])');
  });
});
