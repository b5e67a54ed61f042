import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '@netblocks/test-utils';
import { closestModelNames, createModel, getModelInfo, listModels } from '../src/index.js';

useBackend('cpu');
afterEach(() => tf.disposeVariables());

// TF.js suffixes a variable's `name` while another with the same name lives (kernel_1); saving and
// the weight mapping use `originalName`, the name the layer gave it.
const weightNames = (m: tf.LayersModel) => m.weights.map((w) => w.originalName);

describe('the registry', () => {
  it('lists every model of the issue, by pattern too', () => {
    expect(listModels()).toHaveLength(61);
    expect(listModels('resnext*')).toEqual(['resnext101_32x4d', 'resnext101_32x8d', 'resnext50_32x4d']);
    expect(listModels('efficientnet_b*')).toHaveLength(8);
    expect(listModels('nothing*')).toEqual([]);
  });

  it('describes each model', () => {
    expect(getModelInfo('efficientnet_b3')).toMatchObject({ family: 'efficientnet', weights: 'torchvision', inputSize: 300, reference: { totalParams: 12_320_528 } });
    expect(getModelInfo('vgg16')).toMatchObject({ topInputSize: 224, minInputSize: 32 });
    expect(getModelInfo('xception').paper.url).toBe('https://arxiv.org/abs/1610.02357');
  });

  it('suggests the closest names for an unknown one', () => {
    expect(closestModelNames('resnet5')[0]).toBe('resnet50');
    expect(() => createModel('mobilenet_v2')).toThrow(/unknown model "mobilenet_v2"; did you mean .*mobilenetv2/);
  });
});

describe('createModel options', () => {
  it('names every weight deterministically: two builds, the same names', () => {
    const a = createModel('shufflenet_v2_x0_5', { inputShape: [64, 64, 3] });
    tf.layers.dense({ units: 1 }); // moves TF.js's global name counter
    const b = createModel('shufflenet_v2_x0_5', { inputShape: [64, 64, 3] });
    expect(weightNames(b)).toEqual(weightNames(a));
    expect(weightNames(a)).toContain('stage2.0.branch1.0/depthwise_kernel');
  });

  it('follows Keras: includeTop false returns the feature map, pooled if asked', () => {
    const map = createModel('mobilenetv2_100', { includeTop: false, inputShape: [96, 96, 3] });
    expect(map.outputs[0]?.shape).toEqual([null, 3, 3, 1280]);
    const maxPooled = createModel('mobilenetv2_100', { includeTop: false, pooling: 'max', inputShape: [96, 96, 3] });
    expect(maxPooled.outputs[0]?.shape).toEqual([null, 1280]);
    expect(maxPooled.layers.map((l) => l.getClassName())).toContain('GlobalMaxPooling2D');
    const pooled = createModel('mobilenetv2_100', { numClasses: 0, inputShape: [96, 96, 3] });
    expect(pooled.outputs[0]?.shape).toEqual([null, 1280]);
  });

  it('sets dropout, BatchNorm epsilon and padding', () => {
    const m = createModel('efficientnet_b0', { dropRate: 0.5, bnEpsilon: 1e-3, padding: 'same', inputShape: [64, 64, 3] });
    expect(m.getLayer('classifier.0').getConfig()).toMatchObject({ rate: 0.5 });
    expect(m.getLayer('features.0.1').getConfig()).toMatchObject({ epsilon: 1e-3 });
    expect(m.getLayer('features.0.0').getConfig()).toMatchObject({ padding: 'same' });
    expect(createModel('efficientnet_b7', { inputShape: [32, 32, 3] }).getLayer('features.0.1').getConfig()).toMatchObject({ epsilon: 1e-3 });
    const torch = createModel('efficientnet_b0', { inputShape: [64, 64, 3] });
    expect(torch.getLayer('features.0.pad').getClassName()).toBe('ZeroPadding2D');
    expect(torch.getLayer('features.1.0.block.0.1').getConfig()).toMatchObject({ epsilon: 1e-5 });
  });

  it('returns the feature maps chosen by outIndices, with their featureInfo', () => {
    const m = createModel('resnet50', { features: true, outIndices: [1, 4], inputShape: [64, 64, 3] });
    expect(m.featureInfo).toEqual([
      { name: 'layer1.2.act3', channels: 256, reduction: 4 },
      { name: 'layer4.2.act3', channels: 2048, reduction: 32 },
    ]);
    expect(m.outputs.map((o) => o.shape)).toEqual([[null, 16, 16, 256], [null, 2, 2, 2048]]);
  });

  it('applies the family knobs, and rejects knobs a family does not have', () => {
    expect(createModel('mobilenetv1_100', { widthMultiplier: 0.25 }).countParams()).toBe(getModelInfo('mobilenetv1_025').reference.totalParams);
    expect(createModel('resnet50', { groups: 32, inputShape: [64, 64, 3] }).getLayer('layer1.0.conv2').getConfig()).toMatchObject({ groups: 32 });
    expect(createModel('repvgg_b1', { groups: 4 }).countParams()).toBe(getModelInfo('repvgg_b1g4').reference.totalParams);
    expect(createModel('shufflenet_v1_g3_x1_0', { groups: 8 }).countParams()).toBe(getModelInfo('shufflenet_v1_g8_x1_0').reference.totalParams);
    expect(() => createModel('vgg16', { widthMultiplier: 2 })).toThrow("createModel('vgg16'): `widthMultiplier` is not a knob of the vgg family (got widthMultiplier=2)");
    expect(() => createModel('repvgg_a0', { groups: 3 })).toThrow(/must be 1, 2 or 4 \(got groups=3\)/);
  });

  it('names the argument and the value of bad options, and the minimum input size', () => {
    expect(() => createModel('resnet50', { inputShape: [16, 16, 3] })).toThrow("createModel('resnet50'): `inputShape` must be at least 32x32 for this architecture (got inputShape=[16,16,3])");
    expect(() => createModel('xception', { inputShape: [64, 64, 3] })).toThrow(/at least 71x71/);
    expect(() => createModel('vgg16', { inputShape: [64, 64, 3] })).toThrow(/VGG's classifier takes only a 224x224 input \(got inputShape 64x64\)/);
    expect(() => createModel('mixer_b16_224', { inputShape: [72, 72, 3] })).toThrow(/divisible by 16/);
    expect(() => createModel('resnet50', { numClasses: -1 })).toThrow('`numClasses` must be a non-negative integer (got numClasses=-1)');
    expect(() => createModel('resnet50', { pooling: 'sum' as never })).toThrow(/`pooling`.*"sum"/);
    expect(() => createModel('resnet50', { dropPathRate: 0.1 })).toThrow('`dropPathRate` is not supported by the resnet family (got dropPathRate=0.1)');
    expect(() => createModel('resnet50', { padding: 'valid' as never })).toThrow(/`padding`.*"valid"/);
    expect(() => createModel('resnet50', { features: true, outIndices: [7] })).toThrow(/`outIndices` must be indices in \[0, 4\] \(got outIndices=\[7\]\)/);
  });
});
