import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { profile } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectLayerRoundTrip, expectModelRoundTrip, expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { NetblocksDepthwiseConv2D } from '../src/depthwise-conv2d-layer.js';
import { depthwiseConv2d, separableConv2d } from '../src/op.js';
import { NetblocksSeparableConv2D } from '../src/separable-conv2d-layer.js';
import '../src/register.js';

useBackend('cpu');

const workDir = mkdtempSync(join(tmpdir(), 'netblocks-depthwise-sep-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function modelOf(layer: tf.layers.Layer, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape, name: 'input' });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

/** Weight shapes by the name the layer gave each (TF.js suffixes `_1`, `_2` to `name` on clashes). */
function weightShapes(layer: tf.layers.Layer): Record<string, tf.Shape> {
  return Object.fromEntries(layer.weights.map((w) => [w.originalName, w.shape]));
}

describe('NetblocksDepthwiseConv2D', () => {
  it('defaults to a bias-free 3x3, multiplier 1, PyTorch padding; getConfig returns exactly the resolved args', () => {
    const config = new NetblocksDepthwiseConv2D({ name: 'dw' }).getConfig();
    const { name, trainable, dtype: _, ...own } = config;
    expect({ name, trainable }).toEqual({ name: 'dw', trainable: true });
    expect(own).toEqual({
      kernelSize: [3, 3],
      depthMultiplier: 1,
      strides: [1, 1],
      padding: 'torch',
      dilationRate: [1, 1],
      useBias: false,
      activation: 'linear',
      depthwiseInitializer: 'glorotUniform',
      biasInitializer: 'zeros',
    });
  });

  it('names and shapes its weights for a PyTorch mapping and counts them', () => {
    const layer = new NetblocksDepthwiseConv2D({ name: 'blocks.0.0.conv_dw', kernelSize: [3, 5], depthMultiplier: 2, useBias: true });
    const model = modelOf(layer, [9, 9, 4]);
    expect(weightShapes(layer)).toEqual({ 'blocks.0.0.conv_dw/depthwise_kernel': [3, 5, 4, 2], 'blocks.0.0.conv_dw/bias': [8] });
    expect(model.countParams()).toBe(3 * 5 * 4 * 2 + 8);
    model.dispose();
  });

  it.each([
    [{ strides: 2 }, [null, 5, 5, 3]],
    [{ strides: 2, padding: 'same' as const }, [null, 5, 5, 3]],
    [{ padding: 'valid' as const }, [null, 7, 7, 3]],
    [{ dilationRate: 2, depthMultiplier: 3 }, [null, 9, 9, 9]],
    [{ dilationRate: 2, padding: 'valid' as const }, [null, 5, 5, 3]],
    [{ padding: [[0, 0], [1, 1]] as [[number, number], [number, number]], strides: [1, 2] as [number, number] }, [null, 7, 5, 3]],
  ])('computes the output shape it produces (%j)', (args, expected) => {
    const layer = new NetblocksDepthwiseConv2D(args);
    expect(layer.computeOutputShape([null, 9, 9, 3])).toEqual(expected);
    expect(layer.computeOutputShape([null, null, null, 3])).toEqual([null, null, null, expected[3]]);
    tf.tidy(() => {
      const y = layer.apply(tf.zeros([2, 9, 9, 3])) as tf.Tensor;
      expect(y.shape).toEqual([2, ...expected.slice(1)]);
    });
    layer.dispose();
  });

  it('computes the op with its own weights, bias and activation', () => {
    const layer = new NetblocksDepthwiseConv2D({ strides: 2, depthMultiplier: 2, useBias: true, activation: 'relu', biasInitializer: 'ones' });
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const y = layer.apply(x) as tf.Tensor;
      const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
      expectTensorsClose(bias, tf.ones([6]));
      expectTensorsClose(y, depthwiseConv2d(x, kernel, { strides: 2, bias, activation: 'relu' }), 1e-6);
    });
    layer.dispose();
  });

  it('passes the gradients of the op to its kernel and bias, dilated too', () => {
    const layer = new NetblocksDepthwiseConv2D({ dilationRate: 2, useBias: true });
    tf.tidy(() => {
      const x = tf.randomNormal([1, 7, 7, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
      layer.apply(x);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar);
      const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
      const expected = tf.grads((k: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(depthwiseConv2d(x, k as tf.Tensor4D, { dilation: 2, bias: b as tf.Tensor1D }))),
      )([kernel, bias]);
      const byName = (suffix: string) => Object.entries(grads).find(([n]) => n.endsWith(suffix))?.[1] as tf.Tensor;
      expectTensorsClose(byName('depthwise_kernel'), expected[0] as tf.Tensor, 1e-5);
      expectTensorsClose(byName('bias'), expected[1] as tf.Tensor, 1e-5);
    });
    layer.dispose();
  });

  it('reports H_out * W_out * Cin * m * kh * kw MACs to profile', () => {
    const model = modelOf(new NetblocksDepthwiseConv2D({ name: 'dw', kernelSize: [3, 5], strides: 2, depthMultiplier: 2 }), [16, 12, 8]);
    const row = profile(model).layers.find((l) => l.name === 'dw');
    expect(row?.outputShape).toEqual([null, 8, 6, 16]);
    expect(row?.macs).toBe(8 * 6 * 8 * 2 * 3 * 5);
    expect(profile(model).unknownLayers).toEqual([]);
    model.dispose();
  });

  it('survives a config round trip, every non-default arg included', () => {
    const x = tf.randomNormal([1, 7, 6, 3], 0, 1, 'float32', 3);
    expectLayerRoundTrip(
      new NetblocksDepthwiseConv2D({
        name: 'probe',
        kernelSize: [3, 1],
        depthMultiplier: 2,
        strides: [2, 1],
        padding: [[1, 0], [0, 2]],
        dilationRate: [1, 2],
        useBias: true,
        activation: 'swish',
        depthwiseInitializer: 'heNormal',
        biasInitializer: 'ones',
      }),
      x,
    );
    expectLayerRoundTrip(new NetblocksDepthwiseConv2D({ padding: 'same', strides: 2 }), x);
    x.dispose();
  });

  it('names the argument and the value in its errors', () => {
    expect(() => new NetblocksDepthwiseConv2D({ kernelSize: 0 })).toThrow('NetblocksDepthwiseConv2D: `kernelSize` must be a positive integer or a pair of them (got kernelSize=0)');
    expect(() => new NetblocksDepthwiseConv2D({ depthMultiplier: 1.5 })).toThrow('`depthMultiplier` must be a positive integer (got depthMultiplier=1.5)');
    expect(() => new NetblocksDepthwiseConv2D({ kernelSize: 4 })).toThrow("NetblocksDepthwiseConv2D: `padding` 'torch' needs an odd dilated kernel (got kernelSize=[4,4], dilation=[1,1])");
    expect(() => new NetblocksDepthwiseConv2D({ activation: 'softmax' as 'relu' })).toThrow('NetblocksDepthwiseConv2D: `activation` must be one of');
    expect(() => new NetblocksDepthwiseConv2D({ depthwiseInitializer: 'orthogonal' as 'zeros' })).toThrow('(got depthwiseInitializer="orthogonal")');
    expect(() => new NetblocksDepthwiseConv2D({ useBias: 'yes' as unknown as boolean })).toThrow('(got useBias="yes")');
    expect(() => new NetblocksDepthwiseConv2D({ padding: 'valid', kernelSize: 5 }).computeOutputShape([null, 4, 8, 3])).toThrow(
      'NetblocksDepthwiseConv2D: the input height 4 padded by 0+0 is smaller than the dilated kernel (kernelSize=5, dilation=1)',
    );
    expect(() => new NetblocksDepthwiseConv2D().computeOutputShape([null, 8, 3])).toThrow('(got inputShape=[null,8,3])');
  });

  it('leaks no tensors', () => {
    const layer = new NetblocksDepthwiseConv2D({ useBias: true, dilationRate: 2 });
    const x = tf.ones([1, 6, 6, 3]);
    (layer.apply(x) as tf.Tensor).dispose(); // the first call creates the weights, which the layer keeps
    expectNoLeakedTensors(() => layer.apply(x));
    x.dispose();
    layer.dispose();
  });
});

describe('NetblocksSeparableConv2D', () => {
  it('getConfig returns exactly the resolved args, depthMultiplier included', () => {
    const { name, trainable, dtype: _, ...own } = new NetblocksSeparableConv2D({ name: 'sep', filters: 8, depthMultiplier: 2 }).getConfig();
    expect({ name, trainable }).toEqual({ name: 'sep', trainable: true });
    expect(own).toEqual({
      filters: 8,
      kernelSize: [3, 3],
      depthMultiplier: 2,
      strides: [1, 1],
      padding: 'torch',
      dilationRate: [1, 1],
      useBias: false,
      activation: 'linear',
      depthwiseInitializer: 'glorotUniform',
      pointwiseInitializer: 'glorotUniform',
      biasInitializer: 'zeros',
    });
  });

  it('names and shapes its weights as Xception maps them, and counts them', () => {
    const layer = new NetblocksSeparableConv2D({ name: 'block1.rep.0', filters: 5, depthMultiplier: 2, useBias: true });
    const model = modelOf(layer, [6, 6, 3]);
    expect(weightShapes(layer)).toEqual({
      'block1.rep.0/depthwise_kernel': [3, 3, 3, 2],
      'block1.rep.0/pointwise_kernel': [1, 1, 6, 5],
      'block1.rep.0/bias': [5],
    });
    expect(model.countParams()).toBe(9 * 3 * 2 + 6 * 5 + 5);
    expect(model.outputs[0]?.shape).toEqual([null, 6, 6, 5]);
    model.dispose();
  });

  it('computes the op with its own weights', () => {
    const layer = new NetblocksSeparableConv2D({ filters: 4, strides: 2, padding: 'same', useBias: true, biasInitializer: 'ones', activation: 'relu6' });
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 4, 4, 4]);
      const [depthwise, pointwise, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
      expectTensorsClose(y, separableConv2d(x, depthwise, pointwise, { strides: 2, padding: 'same', bias, activation: 'relu6' }), 1e-6);
    });
    layer.dispose();
  });

  it('trains: every weight gets a gradient', () => {
    const layer = new NetblocksSeparableConv2D({ filters: 2, useBias: true, dilationRate: 2 });
    tf.tidy(() => {
      const x = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 5);
      layer.apply(x);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar);
      expect(Object.keys(grads).map((n) => n.split('/').pop())).toEqual(['depthwise_kernel', 'pointwise_kernel', 'bias']);
      for (const g of Object.values(grads)) expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    });
    layer.dispose();
  });

  it('reports depthwise plus pointwise MACs, both at the output resolution', () => {
    const model = modelOf(new NetblocksSeparableConv2D({ name: 'sep', filters: 10, strides: 2, depthMultiplier: 2 }), [14, 14, 4]);
    const row = profile(model).layers.find((l) => l.name === 'sep');
    expect(row?.macs).toBe(7 * 7 * 4 * 2 * 9 + 7 * 7 * 8 * 10);
    model.dispose();
  });

  it('survives config, in-memory and file round trips with depthMultiplier 2 (which stock SeparableConv2D loses)', async () => {
    const x = tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 6);
    const args = {
      filters: 5,
      depthMultiplier: 2,
      strides: 2,
      padding: [[1, 1], [0, 1]] as [[number, number], [number, number]],
      useBias: true,
      biasInitializer: 'ones' as const,
      activation: 'gelu' as const,
      pointwiseInitializer: 'heUniform' as const,
    };
    expectLayerRoundTrip(new NetblocksSeparableConv2D({ name: 'probe', ...args }), x);
    const model = modelOf(new NetblocksSeparableConv2D({ name: 'sep', ...args }), [7, 7, 3]);
    await expectModelRoundTrip(model, x);
    const dir = join(workDir, 'separable');
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const layer = loaded.getLayer('sep');
    expect(layer.getClassName()).toBe('NetblocksSeparableConv2D');
    expect(layer.getConfig()).toEqual(model.getLayer('sep').getConfig());
    expect(weightShapes(layer)).toEqual(weightShapes(model.getLayer('sep')));
    tf.tidy(() => expectTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6));
    tf.dispose([x]);
    model.dispose();
    loaded.dispose();
  });

  it('saves and loads a depthwise layer through files', async () => {
    const model = modelOf(new NetblocksDepthwiseConv2D({ name: 'dw', depthMultiplier: 3, dilationRate: 2, useBias: true }), [9, 9, 2]);
    const dir = join(workDir, 'depthwise');
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.getLayer('dw').getConfig()).toEqual(model.getLayer('dw').getConfig());
    tf.tidy(() => {
      const x = tf.randomNormal([1, 9, 9, 2], 0, 1, 'float32', 7);
      expectTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    });
    model.dispose();
    loaded.dispose();
  });

  it('names the argument and the value in its errors', () => {
    expect(() => new NetblocksSeparableConv2D({ filters: 0 })).toThrow('NetblocksSeparableConv2D: `filters` must be a positive integer (got filters=0)');
    expect(() => new NetblocksSeparableConv2D({} as { filters: number })).toThrow('(got filters=undefined)');
    expect(() => new NetblocksSeparableConv2D({ filters: 2, pointwiseInitializer: 'x' as 'ones' })).toThrow('(got pointwiseInitializer="x")');
    expect(() => new NetblocksSeparableConv2D({ filters: 2, strides: [1, 2, 3] as unknown as number })).toThrow('(got strides=[1,2,3])');
  });

  it('leaks no tensors', () => {
    const layer = new NetblocksSeparableConv2D({ filters: 3, useBias: true, activation: 'hardSigmoid' });
    const x = tf.ones([1, 5, 5, 2]);
    (layer.apply(x) as tf.Tensor).dispose();
    expectNoLeakedTensors(() => layer.apply(x));
    x.dispose();
    layer.dispose();
  });
});
