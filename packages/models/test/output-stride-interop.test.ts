// outputStride models through the interop paths, now that their dilated convs are core's
// NetblocksDilatedConv2D (and depthwise-sep's / group-conv's dilated layers): PyTorch state dicts load
// strictly into stride-8 models (official RepVGG and timm MobileNetV1 checkpoints, and torchvision's
// ResNet / ResNeXt layout), ONNX export gives onnxruntime-node TF.js's outputs with the dilations on
// the Conv nodes, and optimizeForInference folds BN into dilated convs and keeps the outputs.
import * as tf from '@tensorflow/tfjs';
import { convBnAct, FusedConv2D, readSafetensors } from '@netblocks/core';
import { maxRelativeDifference, randomizeBatchNorms, useBackend } from '@netblocks/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import type { NetblocksModel } from '../src/build.js';
import { mobilenetV1 } from '../src/families/mobilenet-v1.js';
import { repvgg, type RepVGGConfig } from '../src/families/repvgg.js';
import { resnet } from '../src/families/resnet.js';
import { loadTorchWeights, optimizeForInference, saveTorchWeights, type ModelOptions } from '../src/index.js';
import { onnxModelOf } from '../src/onnx/export.js';
import { onnxVersusTfjs } from './helpers/onnx-runtime.js';
import { expectAtrousEquivalence } from './helpers/atrous.js';
import { buildVariant, fixture } from './helpers/torch-parity.js';

useBackend('wasm');

const built: tf.LayersModel[] = [];
afterAll(() => {
  for (const m of built) m.dispose();
});
function keep<M extends tf.LayersModel>(model: M): M {
  built.push(model);
  return model;
}

const dilatedLayers = (model: tf.LayersModel) =>
  model.layers.filter((l) => /Conv2D$/.test(l.getClassName()) && [l.getConfig()['dilationRate']].flat().some((d) => (d as number) > 1));

/** Strict: nothing missing, unexpected or mismatched, every weight loaded. */
function loadStrictly(model: tf.LayersModel, checkpoint: Uint8Array): void {
  const report = loadTorchWeights(model, checkpoint);
  expect([report.missing, report.unexpected, report.mismatched]).toEqual([[], [], []]);
  expect(report.loaded.length).toBe(model.weights.length);
}

describe('PyTorch weights load strictly into stride-8 models', () => {
  // Official RepVGG(num_blocks=[2, 2, 2, 1], width_multiplier=[0.125, 0.125, 0.125, 0.0625]) at 40 px,
  // as weights-megvii-repvgg.test.ts builds it: at 8, stage3.1 (g2: a GroupConv2D) and stage4.0 are dilated 2.
  const REPVGG: { name: string; groups: RepVGGConfig['groups']; classes: string[] }[] = [
    { name: 'repvgg_tiny', groups: 1, classes: ['NetblocksDilatedConv2D'] },
    { name: 'repvgg_g2_tiny', groups: 2, classes: ['NetblocksDilatedConv2D', 'NetblocksGroupConv2D'] },
  ];
  it.each(REPVGG)('official RepVGG checkpoint $name: strict, the dilated kernels are the checkpoint\'s, the stride-8 map is the stride-32 one', ({ name, groups, classes }) => {
    const make = (outputStride: 8 | 32) => keep(buildVariant(name, repvgg, { blocks: [1, 2, 2, 2, 1], a: 0.125, b: 0.0625, groups }, 40, { features: true, outIndices: [4], outputStride }));
    const checkpoint = fixture(`${name}.safetensors`);
    // The fixture has the classifier; the feature model has none: load what it has, strictly otherwise.
    const [base, dilated] = [make(32), make(8)];
    for (const model of [base, dilated]) {
      const report = loadTorchWeights(model, checkpoint, { strict: false });
      expect([report.missing, report.mismatched], JSON.stringify(report.missing)).toEqual([[], []]);
      expect(report.unexpected.sort()).toEqual(['linear.bias', 'linear.weight']);
    }
    const layers = dilatedLayers(dilated);
    expect([...new Set(layers.map((l) => l.getClassName()))].sort()).toEqual(classes);
    const weights = readSafetensors(checkpoint);
    for (const layer of layers) {
      // PyTorch OIHW -> TF.js HWIO: the kernel as loaded, back in PyTorch's layout, is the checkpoint's.
      const expected = weights.toTensor(`${layer.name}.weight`);
      const difference = tf.tidy(() => maxRelativeDifference(tf.transpose(layer.getWeights()[0] as tf.Tensor, [3, 2, 0, 1]), expected));
      expect(difference, layer.name).toBe(0);
      expected.dispose();
    }
    expectAtrousEquivalence(base, dilated, 8, 40);
  });

  it("timm MobileNetV1 checkpoint (timm_mobilenetv1_tiny): strict into the stride-8 model, whose dilated depthwise convs are depthwise-sep's block's", () => {
    const model = keep(buildVariant('timm_mobilenetv1_tiny', mobilenetV1, { widthMultiplier: 0.075 }, 32, { numClasses: 10, outputStride: 8 }));
    expect(dilatedLayers(model).map((l) => `${l.name} ${l.getClassName()}`)).toEqual([
      ...[1, 2, 3, 4, 5].map((i) => `blocks.3.${i}.conv_dw NetblocksDepthwiseConv2D`),
      'blocks.4.0.conv_dw NetblocksDepthwiseConv2D',
      'blocks.4.1.conv_dw NetblocksDepthwiseConv2D',
    ]);
    loadStrictly(model, fixture('timm_mobilenetv1_tiny.safetensors'));
  });

  it.each([
    ['ResNet', 1, 8],
    ['ResNeXt', 8, 4],
  ] as const)('%s in torchvision layout (the keys the parity fixtures check): a stride-32 state dict loads strictly into the stride-8 model', (_, cardinality, baseWidth) => {
    const make = (outputStride: 8 | 32) =>
      keep(buildVariant('resnet_tiny', resnet, { layers: [1, 1, 2, 2], cardinality, baseWidth }, 64, { features: true, outIndices: [4], outputStride }));
    const [base, dilated] = [make(32), make(8)];
    randomizeBatchNorms(base, 3);
    const checkpoint = saveTorchWeights(base);
    loadStrictly(dilated, checkpoint);
    expect(dilatedLayers(dilated).map((l) => l.getClassName())).toEqual(Array(3).fill(cardinality > 1 ? 'NetblocksGroupConv2D' : 'NetblocksDilatedConv2D'));
    // And back: the dilated model saves the same state dict, bit for bit.
    expect(Buffer.from(saveTorchWeights(dilated)).equals(Buffer.from(checkpoint))).toBe(true);
    expectAtrousEquivalence(base, dilated, 8, 64);
  });
});

/** A tiny ResNet at stride 16 (layer4.1.conv2 a DilatedConv2D at 2), trained-like BatchNorms. */
function resnetOs16(options: ModelOptions = {}): NetblocksModel {
  const model = keep(buildVariant('resnet_tiny', resnet, { layers: [1, 1, 2, 2], cardinality: 1, baseWidth: 8 }, 64, { numClasses: 10, outputStride: 16, ...options }));
  randomizeBatchNorms(model, 9);
  return model;
}

describe('ONNX export of dilated convs', () => {
  it('a stride-16 ResNet: the dilated 3x3 is an ONNX Conv with dilations 2, and onnxruntime-node gives the TF.js outputs (1e-4)', async () => {
    const model = resnetOs16();
    expect(model.getLayer('layer4.1.conv2').getClassName()).toBe('NetblocksDilatedConv2D');
    const graph = onnxModelOf(model).graph;
    const conv = graph.nodes.find((n) => n.opType === 'Conv' && n.name.startsWith('layer4.1.conv2'));
    expect(conv?.attributes).toMatchObject({ dilations: [2, 2], pads: [2, 2, 2, 2], group: 1 });
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 1);
    const difference = await onnxVersusTfjs(model, x);
    console.info(`resnet_tiny at outputStride 16: max|onnx - tfjs|/max|tfjs| = ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-4);
    x.dispose();
  });

  it("DilatedConv2D's depthwise form exports as a grouped Conv with the dilations", async () => {
    const input = tf.input({ shape: [12, 12, 4] });
    const y = convBnAct({ name: 'dw', depthwise: true, depthMultiplier: 2, kernelSize: 3, dilation: 3, activation: 'relu6' })(input);
    const model = keep(tf.model({ inputs: input, outputs: y }));
    expect(model.getLayer('dw.0').getClassName()).toBe('NetblocksDilatedConv2D');
    randomizeBatchNorms(model, 4);
    const conv = onnxModelOf(model).graph.nodes.find((n) => n.opType === 'Conv');
    expect(conv?.attributes).toMatchObject({ dilations: [3, 3], group: 4 });
    const x = tf.randomNormal([1, 12, 12, 4], 0, 1, 'float32', 2);
    expect(await onnxVersusTfjs(model, x)).toBeLessThan(1e-4);
    x.dispose();
  });
});

describe('optimizeForInference of dilated convs', () => {
  it('a stride-16 ResNet: BN folds into the dilated 3x3, a FusedConv2D that keeps dilation 2, and the outputs stay (1e-4)', () => {
    const model = resnetOs16();
    const fast = keep(optimizeForInference(model));
    const fused = fast.getLayer('layer4.1.conv2');
    expect(fused).toBeInstanceOf(FusedConv2D);
    expect(fused.getConfig()).toMatchObject({ dilationRate: [2, 2], padding: [[2, 2], [2, 2]] });
    expect(fast.layers.some((l) => l.name === 'layer4.1.bn2' || l.name === 'layer4.1.conv2.pad')).toBe(false);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 3);
      const difference = maxRelativeDifference(fast.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor);
      console.info(`resnet_tiny at outputStride 16, optimized: max|diff|/max|ref| = ${difference.toExponential(2)}`);
      expect(difference).toBeLessThan(1e-4);
    });
  });
});
