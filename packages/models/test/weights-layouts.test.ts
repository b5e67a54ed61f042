import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors } from '@netblocks/core';
import { NetblocksSeparableConv2D } from '@netblocks/depthwise-sep';
import { afterAll, describe, expect, it } from 'vitest';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { buildModel } from '../src/build.js';
import { mixer } from '../src/families/mixer.js';
import { loadTorchWeights, saveTorchWeights } from '../src/index.js';
import { CONV, CONV_OR_LINEAR, DEPTHWISE, flattenedLinear, LINEAR, transpose, VECTOR } from '../src/weights/layouts.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());

const random = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + n) * 0.5);

describe('layouts', () => {
  it('transpose equals tf.transpose', () => {
    const values = random(2 * 3 * 4 * 5);
    const expected = tf.tidy(() => tf.transpose(tf.tensor(values, [2, 3, 4, 5]), [3, 1, 0, 2]).dataSync());
    expect(transpose(values, [2, 3, 4, 5], [3, 1, 0, 2])).toEqual(expected);
  });

  it.each([
    ['vector', VECTOR, [7], [7]],
    ['linear', LINEAR, [3, 5], [5, 3]],
    ['conv', CONV, [3, 2, 4, 6], [6, 4, 3, 2]],
    ['depthwise', DEPTHWISE, [3, 2, 4, 2], [8, 1, 3, 2]],
    ['conv-or-linear (1x1 conv)', CONV_OR_LINEAR, [1, 1, 4, 6], [6, 4, 1, 1]],
    ['conv-or-linear (linear)', CONV_OR_LINEAR, [4, 6], [6, 4]],
    ['flattened linear', flattenedLinear(2, 3, 4), [24, 5], [5, 24]],
  ] as const)('%s: PyTorch shape and an exact inverse', (_, layout, tfShape, torchShape) => {
    expect(layout.torchShape(tfShape)).toEqual(torchShape);
    const values = random(tfShape.reduce((a: number, b: number) => a * b, 1));
    expect(layout.toTf(layout.toTorch(values, tfShape), tfShape)).toEqual(values);
  });
});

/** Loads `tensors` (PyTorch layouts) into `model` strictly. */
function load(model: tf.LayersModel, tensors: Record<string, { shape: number[]; data: Float32Array }>): void {
  const file = writeSafetensors(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: 'F32' as const, ...t }])));
  loadTorchWeights(model, file);
}

describe('numerics against PyTorch semantics written out', () => {
  it('depthwise with multiplier 2: output channel o = c*m + j reads input channel c = floor(o/m)', () => {
    const input = tf.input({ shape: [5, 5, 3] });
    const layer = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, name: 'dw' });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const weight = random(6 * 9);
    const bias = random(6);
    load(model, { 'dw.weight': { shape: [6, 1, 3, 3], data: weight }, 'dw.bias': { shape: [6], data: bias } });
    const x = tf.randomNormal([1, 5, 5, 3]);
    const expected = tf.tidy(() =>
      tf.concat(
        Array.from({ length: 6 }, (_, o) => {
          const channel = tf.slice(x, [0, 0, 0, Math.floor(o / 2)], [1, 5, 5, 1]);
          const kernel = tf.tensor4d(weight.slice(o * 9, o * 9 + 9), [3, 3, 1, 1]);
          return tf.add(tf.conv2d(channel as tf.Tensor4D, kernel, 1, 'valid'), bias[o] as number);
        }),
        3,
      ),
    );
    const actual = model.predict(x) as tf.Tensor;
    expectTensorsClose(actual, expected, 1e-6);
    tf.dispose([x, expected, actual]);
  });

  it("the first linear after a Flatten of [H, W, C] takes PyTorch's CHW-ordered weight (VGG)", () => {
    const input = tf.input({ shape: [2, 3, 4] });
    const flat = tf.layers.flatten({ name: 'flatten' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 5, name: 'fc' }).apply(flat) as tf.SymbolicTensor });
    const weight = random(5 * 24);
    const bias = random(5);
    load(model, { 'fc.weight': { shape: [5, 24], data: weight }, 'fc.bias': { shape: [5], data: bias } });
    const x = tf.randomNormal([2, 2, 3, 4]);
    // PyTorch: x.flatten(1) of NCHW, then x @ W^T + b.
    const expected = tf.tidy(() => {
      const chw = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [2, 24]);
      return tf.add(tf.matMul(chw, tf.tensor2d(weight, [5, 24]), false, true), tf.tensor1d(bias));
    });
    const actual = model.predict(x) as tf.Tensor;
    expectTensorsClose(actual, expected, 1e-6);
    tf.dispose([x, expected, actual]);
    expect(readSafetensors(saveTorchWeights(model)).getFloat32('fc.weight')).toEqual(weight);
  });
});

describe('names of the custom layers', () => {
  it("Mixer: timm's stem.proj, norm1, mlp_tokens.fc1/fc2 [D_S, S], mlp_channels, norm, head", () => {
    const variant = { config: { patchSize: 4, channels: 8, tokenMlpDim: 6, channelMlpDim: 16, depth: 1 }, inputSize: 8, reference: { totalParams: 0, trainableParams: 0 } };
    const model = buildModel('mixer_tiny', mixer, variant, { numClasses: 3, inputShape: [8, 8, 3] });
    const file = readSafetensors(saveTorchWeights(model));
    const shapes = Object.fromEntries(file.names().map((n) => [n, file.info(n).shape]));
    expect(shapes).toEqual({
      'stem.proj.weight': [8, 3, 4, 4],
      'stem.proj.bias': [8],
      'blocks.0.norm1.weight': [8],
      'blocks.0.norm1.bias': [8],
      'blocks.0.mlp_tokens.fc1.weight': [6, 4],
      'blocks.0.mlp_tokens.fc1.bias': [6],
      'blocks.0.mlp_tokens.fc2.weight': [4, 6],
      'blocks.0.mlp_tokens.fc2.bias': [4],
      'blocks.0.norm2.weight': [8],
      'blocks.0.norm2.bias': [8],
      'blocks.0.mlp_channels.fc1.weight': [16, 8],
      'blocks.0.mlp_channels.fc1.bias': [16],
      'blocks.0.mlp_channels.fc2.weight': [8, 16],
      'blocks.0.mlp_channels.fc2.bias': [8],
      'norm.weight': [8],
      'norm.bias': [8],
      'head.weight': [3, 8],
      'head.bias': [3],
    });
    const copy = buildModel('mixer_tiny', mixer, variant, { numClasses: 3, inputShape: [8, 8, 3] });
    loadTorchWeights(copy, saveTorchWeights(model));
    expect(copy.weights.map((w) => w.read().dataSync())).toEqual(model.weights.map((w) => w.read().dataSync()));
  });

  it("Xception's separable conv: timm's conv1 (depthwise) and pointwise", () => {
    const input = tf.input({ shape: [6, 6, 3] });
    const layer = new NetblocksSeparableConv2D({ name: 'block1.rep.0', filters: 4, kernelSize: 3 });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const file = readSafetensors(saveTorchWeights(model));
    expect(file.info('block1.rep.0.conv1.weight').shape).toEqual([3, 1, 3, 3]);
    expect(file.info('block1.rep.0.pointwise.weight').shape).toEqual([4, 3, 1, 1]);
  });
});
