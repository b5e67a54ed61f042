import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectModelRoundTrip, maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { createModel, getModelInfo, optimizeForInference } from '../src/index.js';
import '../src/register.js';
import { randomizeBatchNorms } from '@netblocks/test-utils';

useBackend('wasm');

const classesOf = (model: tf.LayersModel): string[] => model.layers.map((l) => l.getClassName());

function expectSameOutputs(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): void {
  tf.tidy(() => {
    const ya = [a.predict(x)].flat() as tf.Tensor[];
    const yb = [b.predict(x)].flat() as tf.Tensor[];
    expect(yb.length).toBe(ya.length);
    ya.forEach((t, i) => expect(maxRelativeDifference(yb[i] as tf.Tensor, t), `output ${i}`).toBeLessThan(1e-4));
  });
}

/** One family per kind of rewrite: fused conv + swish + SE, grouped conv kept, 1x1 grouped conv made
 * dense, separable conv, RepVGG branches merged. */
const ROUND_TRIP = ['efficientnet_b0', 'resnext50_32x4d', 'shufflenet_v1_g3_x0_5', 'xception', 'repvgg_a0'];

describe('optimizeForInference', () => {
  it.each(ROUND_TRIP)('%s: the optimized model saves and loads with the same outputs', async (name) => {
    const size = Math.max(64, getModelInfo(name).minInputSize);
    const model = createModel(name, { numClasses: 10, inputShape: [size, size, 3] });
    randomizeBatchNorms(model);
    const optimized = optimizeForInference(model);
    const x = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 3);
    expectSameOutputs(model, optimized, x);
    const loaded = await expectModelRoundTrip(optimized, x, 1e-5);
    expect(classesOf(loaded)).toEqual(classesOf(optimized));
    tf.dispose([x]);
    [model, optimized, loaded].forEach((m) => m.dispose());
  });

  it('keeps createModel metadata and every feature map of a features model', () => {
    const model = createModel('mobilenetv2_100', { features: true, inputShape: [64, 64, 3] });
    randomizeBatchNorms(model);
    const optimized = optimizeForInference(model);
    expect(optimized.featureInfo).toEqual(model.featureInfo);
    expect(optimized.outputs.length).toBe(model.outputs.length);
    const x = tf.randomNormal([1, 64, 64, 3]);
    expectSameOutputs(model, optimized, x);
    x.dispose();
    model.dispose();
    optimized.dispose();
  });

  it('fuses a TF-same stride-2 conv, its BatchNorm and a ReLU6 into one layer; swish and relu6 standing alone run in fewer kernels', () => {
    // TF pads 'same' at stride 2 asymmetrically: 8 -> 4 needs one extra row and column, at the end.
    const input = tf.input({ shape: [8, 8, 3] });
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv' }).apply(input);
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(conv);
    const relu6 = tf.layers.reLU({ maxValue: 6, name: 'relu6' }).apply(bn) as tf.SymbolicTensor;
    const added = tf.layers.add({ name: 'add' }).apply([relu6, relu6]);
    const swish = tf.layers.activation({ activation: 'swish', name: 'swish' }).apply(added);
    const capped = tf.layers.activation({ activation: 'relu6', name: 'capped' }).apply(swish) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: capped });
    randomizeBatchNorms(model);
    const optimized = optimizeForInference(model);
    expect(optimized.layers.map((l) => `${l.name}:${l.getClassName()}`)).toEqual([
      `${model.layers[0]?.name}:InputLayer`,
      'conv:NetblocksFusedConv2D',
      'add:Add',
      'swish:NetblocksActivation',
      'capped:NetblocksActivation',
    ]);
    expect(optimized.getLayer('conv').getConfig()).toMatchObject({ padding: [[0, 1], [0, 1]], strides: [2, 2], activation: 'relu6' });
    const x = tf.mul(tf.randomNormal([2, 8, 8, 3]), 3);
    expectSameOutputs(model, optimized, x);
    x.dispose();
    model.dispose();
    optimized.dispose();
  });

  it('folds the BatchNorm after a Dense into it, with a ReLU after that', () => {
    const input = tf.input({ shape: [6] });
    const dense = tf.layers.dense({ units: 5, useBias: false, name: 'fc' }).apply(input);
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(dense);
    const out = tf.layers.activation({ activation: 'relu', name: 'act' }).apply(bn) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    randomizeBatchNorms(model);
    const optimized = optimizeForInference(model);
    expect(optimized.layers.map((l) => l.name).slice(1)).toEqual(['fc']);
    expect(optimized.getLayer('fc').getConfig()).toMatchObject({ useBias: true, activation: 'relu' });
    const x = tf.randomNormal([4, 6]);
    expectSameOutputs(model, optimized, x);
    x.dispose();
    model.dispose();
    optimized.dispose();
  });

  it("runs the Mixer's LayerNorms and rank-3 Dense layers as mlp-mixer's LayerNorm and ChannelDense, same names, weights and outputs", async () => {
    const model = createModel('mixer_s32_224', { numClasses: 10, inputShape: [64, 64, 3] });
    const optimized = optimizeForInference(model);
    const classes = classesOf(optimized);
    expect(classes).not.toContain('LayerNormalization');
    expect(classes.filter((c) => c === 'NetblocksLayerNorm')).toHaveLength(classesOf(model).filter((c) => c === 'LayerNormalization').length);
    // Every Dense but the head (on the pooled [N, C]) is a channel-MLP Dense on [N, S, C].
    expect(classes.filter((c) => c === 'Dense')).toEqual(['Dense']);
    expect(optimized.getLayer('blocks.0.mlp_channels.fc1').getClassName()).toBe('NetblocksChannelDense');
    expect(optimized.weights.map((w) => w.originalName)).toEqual(model.weights.map((w) => w.originalName));
    expect(optimized.countParams()).toBe(model.countParams());
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 5);
    expectSameOutputs(model, optimized, x);
    const loaded = await expectModelRoundTrip(optimized, x, 1e-5);
    expect(classesOf(loaded)).toEqual(classes);
    tf.dispose([x]);
    [model, optimized, loaded].forEach((m) => m.dispose());
  });

  it('leaves a conv whose output has other readers, and a shared layer, as they are', () => {
    const input = tf.input({ shape: [8, 8, 4] });
    const convLayer = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'shared' });
    const once = convLayer.apply(input) as tf.SymbolicTensor;
    const twice = convLayer.apply(once) as tf.SymbolicTensor;
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'branching' }).apply(twice) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(conv) as tf.SymbolicTensor;
    const out = tf.layers.add({ name: 'add' }).apply([bn, conv]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    randomizeBatchNorms(model);
    const optimized = optimizeForInference(model);
    // The branching conv becomes a FusedConv2D alone (its 'same' padding made explicit); its BatchNorm stays.
    expect(classesOf(optimized)).toEqual(['InputLayer', 'Conv2D', 'NetblocksFusedConv2D', 'BatchNormalization', 'Add']);
    const x = tf.randomNormal([1, 8, 8, 4]);
    expectSameOutputs(model, optimized, x);
    x.dispose();
    model.dispose();
    optimized.dispose();
  });
});
