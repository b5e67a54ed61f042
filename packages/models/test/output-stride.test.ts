import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { resnet } from '../src/families/resnet.js';
import { createModel, loadTorchWeights, optimizeForInference, saveTorchWeights, type NetblocksModel } from '../src/index.js';
import { expectAtrousEquivalence } from './helpers/atrous.js';
import { buildVariant } from './helpers/torch-parity.js';

// timm's `output_stride` (dilated last stages). The expected dilations below are written out from
// timm's rules (resnet.py make_blocks, _efficientnet_builder.py EfficientNetBuilder, byobnet.py
// create_byob_stages), not computed by the code under test.

useBackend('wasm');

const SIZE = 64;
const STRIDES = [32, 16, 8] as const;
type OutputStride = (typeof STRIDES)[number];

/** Blocks named `${prefix}.${first}` .. `${prefix}.${last}` mapped to `dilation`. */
const range = (prefix: string, first: number, last: number, suffix: string, dilation: number): Record<string, number> =>
  Object.fromEntries(Array.from({ length: last - first + 1 }, (_, i) => [`${prefix}.${first + i}.${suffix}`, dilation]));

interface FamilyCase {
  model: string;
  /** Every conv with a kernel above 1 that timm dilates, by layer name; all the others are at 1. */
  dilations: Record<OutputStride, Record<string, number>>;
  /** timm's `feature_info` reductions. */
  reductions: Record<OutputStride, number[]>;
  /** The blocks whose stride 2 timm turns into 1, by conv name. */
  unstrided: Record<OutputStride, string[]>;
}

const TIMM_REDUCTIONS = { 32: [2, 4, 8, 16, 32], 16: [2, 4, 8, 16, 16], 8: [2, 4, 8, 8, 8] };

const CASES: FamilyCase[] = [
  {
    // Bottleneck conv2: a dilated stage's first block takes `first_dilation=prev_dilation`.
    model: 'resnet50',
    dilations: {
      32: {},
      16: range('layer4', 1, 2, 'conv2', 2),
      8: { ...range('layer3', 1, 5, 'conv2', 2), 'layer4.0.conv2': 2, ...range('layer4', 1, 2, 'conv2', 4) },
    },
    reductions: TIMM_REDUCTIONS,
    unstrided: { 32: [], 16: ['layer4.0.conv2', 'layer4.0.downsample.0'], 8: ['layer3.0.conv2', 'layer3.0.downsample.0', 'layer4.0.conv2', 'layer4.0.downsample.0'] },
  },
  {
    // EfficientNetBuilder: the block that would pass output_stride keeps the current dilation.
    model: 'mobilenetv2_035',
    dilations: {
      32: {},
      16: { ...range('blocks.5', 1, 2, 'conv_dw', 2), 'blocks.6.0.conv_dw': 2 },
      8: {
        ...range('blocks.3', 1, 3, 'conv_dw', 2),
        ...range('blocks.4', 0, 2, 'conv_dw', 2),
        'blocks.5.0.conv_dw': 2,
        ...range('blocks.5', 1, 2, 'conv_dw', 4),
        'blocks.6.0.conv_dw': 4,
      },
    },
    reductions: TIMM_REDUCTIONS,
    unstrided: { 32: [], 16: ['blocks.5.0.conv_dw'], 8: ['blocks.3.0.conv_dw', 'blocks.5.0.conv_dw'] },
  },
  {
    model: 'efficientnet_b0',
    dilations: {
      32: {},
      16: { ...range('features.6', 1, 3, 'block.1.0', 2), 'features.7.0.block.1.0': 2 },
      8: {
        ...range('features.4', 1, 2, 'block.1.0', 2),
        ...range('features.5', 0, 2, 'block.1.0', 2),
        'features.6.0.block.1.0': 2,
        ...range('features.6', 1, 3, 'block.1.0', 4),
        'features.7.0.block.1.0': 4,
      },
    },
    reductions: TIMM_REDUCTIONS,
    unstrided: { 32: [], 16: ['features.6.0.block.1.0'], 8: ['features.4.0.block.1.0', 'features.6.0.block.1.0'] },
  },
  {
    // timm's mobilenetv1_* (MobileNetV3Features with features_only) through the same builder.
    model: 'mobilenetv1_025',
    dilations: {
      32: {},
      16: { 'blocks.4.1.conv_dw': 2 },
      8: { ...range('blocks.3', 1, 5, 'conv_dw', 2), 'blocks.4.0.conv_dw': 2, 'blocks.4.1.conv_dw': 4 },
    },
    reductions: TIMM_REDUCTIONS,
    unstrided: { 32: [], 16: ['blocks.4.0.conv_dw'], 8: ['blocks.3.0.conv_dw', 'blocks.4.0.conv_dw'] },
  },
  {
    // byobnet: first_dilation = 1 if dilation in (1, 2) else 2. RepVGG-A's stage4 has one block, so
    // at 16 nothing is dilated: the stride just goes.
    model: 'repvgg_a0',
    dilations: {
      32: {},
      16: {},
      8: { ...range('stage3', 1, 13, 'rbr_dense.conv', 2), 'stage4.0.rbr_dense.conv': 2 },
    },
    reductions: TIMM_REDUCTIONS,
    unstrided: { 32: [], 16: ['stage4.0.rbr_dense.conv', 'stage4.0.rbr_1x1.conv'], 8: ['stage3.0.rbr_dense.conv', 'stage3.0.rbr_1x1.conv', 'stage4.0.rbr_dense.conv', 'stage4.0.rbr_1x1.conv'] },
  },
];

const pair = (v: unknown): number => (Array.isArray(v) ? (v[0] as number) : ((v as number | undefined) ?? 1));

/** Spatial convs (kernel above 1) by name with their dilation, and every conv's stride. */
function convGeometry(model: tf.LayersModel): { dilations: Record<string, number>; strides: Record<string, number> } {
  const dilations: Record<string, number> = {};
  const strides: Record<string, number> = {};
  for (const layer of model.layers) {
    if (!/Conv2D$/.test(layer.getClassName())) continue;
    const config = layer.getConfig();
    strides[layer.name] = pair(config['strides']);
    if (pair(config['kernelSize']) > 1) dilations[layer.name] = pair(config['dilationRate']);
  }
  return { dilations, strides };
}

/** Gives every BatchNorm non-trivial statistics, as a trained network has. */
function randomizeBatchNorms(model: tf.LayersModel, seed: number): void {
  model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .forEach((layer, i) => {
      const c = layer.getWeights()[0]?.shape[0] as number;
      const s = seed + 4 * i;
      layer.setWeights(tf.tidy(() => [tf.randomUniform([c], 0.5, 1.5, 'float32', s), tf.randomNormal([c], 0, 0.1, 'float32', s + 1), tf.randomNormal([c], 0, 0.1, 'float32', s + 2), tf.randomUniform([c], 0.5, 2, 'float32', s + 3)]));
    });
}

/**
 * Conv kernels drawn N(0, 1/fan_in) (LeCun), so that the signal neither vanishes through the depth
 * (Keras' Glorot default fades MobileNetV2's to ~1e-17, where any wiring would pass) nor explodes.
 */
function lecunKernels(model: tf.LayersModel, seed: number): void {
  model.layers.forEach((layer, i) => {
    if (!/Conv2D$/.test(layer.getClassName())) return;
    const [kernel, ...rest] = layer.getWeights();
    if (kernel === undefined) return;
    const [kh, kw, cin] = kernel.shape as [number, number, number, number];
    const fanIn = kh * kw * (/Depthwise/.test(layer.getClassName()) ? 1 : cin);
    layer.setWeights([tf.randomNormal(kernel.shape, 0, Math.sqrt(1 / fanIn), 'float32', seed + i), ...rest]);
  });
}

/**
 * `base`'s weights into each of `models`: through a PyTorch state dict, loaded strictly (a stride-32
 * checkpoint loads as is into the dilated model), or for big models layer by layer (the same names).
 */
function transferWeights(base: tf.LayersModel, models: tf.LayersModel[]): void {
  if (base.countParams() > 10e6) {
    for (const model of models) for (const layer of model.layers) if (layer.weights.length > 0) layer.setWeights(base.getLayer(layer.name).getWeights());
    return;
  }
  const checkpoint = saveTorchWeights(base);
  for (const model of models) {
    const report = loadTorchWeights(model, checkpoint);
    expect([report.missing, report.unexpected, report.mismatched]).toEqual([[], [], []]);
  }
}

const built: tf.LayersModel[] = [];
function build(name: string, options: Parameters<typeof createModel>[1]): NetblocksModel {
  const model = createModel(name, { inputShape: [SIZE, SIZE, 3], ...options });
  built.push(model);
  return model;
}
afterAll(() => {
  for (const m of built) m.dispose();
});

/** The `includeTop: false` model of `name` at `outputStride`, built once per file. */
const cache = new Map<string, NetblocksModel>();
function featureMap(name: string, outputStride: OutputStride): NetblocksModel {
  const key = `${name}@${outputStride}`;
  const found = cache.get(key) ?? (name === TINY_RESNEXT ? tinyResNeXt(outputStride) : build(name, { includeTop: false, outputStride }));
  cache.set(key, found);
  return found;
}

/** A reduced ResNeXt (blocks 1-1-2-2, 8 groups of 4) from the family's builder: the grouped dilated 3x3 at a fraction of resnext50's cost. */
const TINY_RESNEXT = 'resnext_tiny';
function tinyResNeXt(outputStride: OutputStride): NetblocksModel {
  const model = buildVariant(TINY_RESNEXT, resnet, { layers: [1, 1, 2, 2], cardinality: 8, baseWidth: 4 }, SIZE, { includeTop: false, outputStride });
  built.push(model);
  return model;
}

describe.each(CASES)('$model with outputStride 8, 16, 32 (timm output_stride)', (c) => {
  it("the last feature map has the stride asked for, with the same parameters as at 32", () => {
    for (const os of STRIDES) {
      const map = featureMap(c.model, os);
      expect(map.outputs[0]?.shape.slice(1, 3)).toEqual([SIZE / os, SIZE / os]);
      expect(map.countParams()).toBe(featureMap(c.model, 32).countParams());
      expect(map.weights.map((w) => w.originalName)).toEqual(featureMap(c.model, 32).weights.map((w) => w.originalName));
    }
  });

  it("dilates exactly timm's convs at timm's rates, and drops exactly timm's strides", () => {
    const base = convGeometry(featureMap(c.model, 32));
    expect(Object.values(base.dilations).every((d) => d === 1)).toBe(true);
    for (const os of STRIDES) {
      const { dilations, strides } = convGeometry(featureMap(c.model, os));
      expect(Object.keys(dilations)).toEqual(Object.keys(base.dilations));
      const expected = Object.fromEntries(Object.keys(base.dilations).map((n) => [n, c.dilations[os][n] ?? 1]));
      expect(dilations).toEqual(expected);
      for (const n of Object.keys(c.dilations[os])) expect(dilations[n], n).toBeGreaterThan(1);
      // Every stride is the undilated model's, but the dropped ones, which are 1 instead of 2.
      const expectedStrides = Object.fromEntries(Object.entries(base.strides).map(([n, s]) => [n, c.unstrided[os].includes(n) ? 1 : s]));
      for (const n of c.unstrided[os]) expect(base.strides[n], n).toBe(2);
      expect(strides).toEqual(expectedStrides);
    }
  });

  it("featureInfo gives timm's feature_info reductions, and the maps have them", () => {
    for (const os of [16, 8] as const) {
      const features = build(c.model, { features: true, outputStride: os });
      expect(features.featureInfo.map((f) => f.reduction)).toEqual(c.reductions[os]);
      expect(features.outputs.map((o) => o.shape[1])).toEqual(c.reductions[os].map((r) => SIZE / r));
    }
  });
});

describe('forward: the dilated networks compute the undilated ones on a finer grid', () => {
  for (const name of ['resnet50', 'mobilenetv2_035', 'mobilenetv1_025', 'repvgg_a0', TINY_RESNEXT] as const) {
    it(`${name}: with the stride-32 weights, the stride-16 and stride-8 maps sampled every 2 and 4 pixels are the stride-32 map`, () => {
      const base = featureMap(name, 32);
      lecunKernels(base, 13);
      randomizeBatchNorms(base, 11);
      const dilated = [featureMap(name, 16), featureMap(name, 8)] as const;
      transferWeights(base, [...dilated]);
      expectAtrousEquivalence(base, dilated[0], 16, SIZE);
      expectAtrousEquivalence(base, dilated[1], 8, SIZE);
    });
  }
});

describe('the dilated convs as built', () => {
  it("ResNeXt's grouped 3x3 is a dilated GroupConv2D; the plain one core's DilatedConv2D after its pad layer; SE models dilate alike", () => {
    const resnext = featureMap(TINY_RESNEXT, 8);
    expect(resnext.getLayer('layer4.1.conv2').getClassName()).toBe('NetblocksGroupConv2D');
    expect(resnext.getLayer('layer4.1.conv2').getConfig()).toMatchObject({ dilationRate: [4, 4], groups: 8, padding: 'torch' });
    expect(resnext.getLayer('layer4.0.conv2').getConfig()).toMatchObject({ dilationRate: [2, 2], strides: [1, 1] });
    const resnet = featureMap('resnet50', 16);
    expect(resnet.getLayer('layer4.1.conv2').getClassName()).toBe('NetblocksDilatedConv2D');
    expect(resnet.getLayer('layer4.0.conv2').getClassName()).toBe('Conv2D');
    expect(resnet.getLayer('layer4.1.conv2.pad').getConfig()).toMatchObject({ padding: [[2, 2], [2, 2]] });
    expect(resnet.getLayer('layer4.0.conv2.pad').getConfig()).toMatchObject({ padding: [[1, 1], [1, 1]] });
    const se = build('seresnext50_32x4d', { includeTop: false, outputStride: 16 });
    expect(se.getLayer('layer4.2.conv2').getConfig()).toMatchObject({ dilationRate: [2, 2] });
    expect(se.outputs[0]?.shape).toEqual([null, 4, 4, 2048]);
    expect(se.layers.some((l) => l.name === 'layer4.2.se')).toBe(true);
  });

  it("TF 'same' padding (the tf_ EfficientNets) dilates the same way", () => {
    const same = build('efficientnet_b0', { includeTop: false, outputStride: 8, padding: 'same' });
    expect(same.getLayer('features.6.1.block.1.0').getConfig()).toMatchObject({ dilationRate: [4, 4], padding: 'same' });
    expect(same.outputs[0]?.shape).toEqual([null, 8, 8, 1280]);
    tf.tidy(() => {
      const y = same.predict(tf.randomNormal([1, SIZE, SIZE, 3], 0, 1, 'float32', 3)) as tf.Tensor;
      expect(Number.isFinite(tf.sum(y).dataSync()[0])).toBe(true);
    });
  });

  it('optimizeForInference keeps the dilations: RepVGG blocks fuse into one dilated 3x3, BN folds into dilated depthwise convs', () => {
    for (const [name, fusedName, dilation] of [['repvgg_a0', 'stage3.5.rbr_reparam', 2], ['mobilenetv2_035', 'blocks.5.1.conv_dw', 4]] as const) {
      const model = build(name, { outputStride: 8, numClasses: 10 });
      lecunKernels(model, 4);
      randomizeBatchNorms(model, 5);
      const fast = optimizeForInference(model);
      built.push(fast);
      expect(fast.layers.find((l) => l.name === fusedName)?.getConfig(), name).toMatchObject({ dilationRate: [dilation, dilation] });
      expect(fast.layers.some((l) => l.name === 'stage3.5.rbr_1x1.conv' || l.name === 'blocks.5.1.bn2')).toBe(false);
      tf.tidy(() => {
        const x = tf.randomNormal([1, SIZE, SIZE, 3], 0, 1, 'float32', 9);
        expect(maxRelativeDifference(fast.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor), name).toBeLessThan(1e-4);
      });
    }
  });
});

describe('rejections', () => {
  it('families without an output_stride in their reference reject anything but 32, naming the option, the value and the model', () => {
    for (const name of ['xception', 'shufflenet_v2_x0_5', 'shufflenet_v1_g3_x1_0', 'squeezenet1_1', 'vgg16', 'mixer_s32_224']) {
      expect(() => createModel(name, { outputStride: 16 })).toThrow(new RegExp(`^createModel\\('${name}'\\): \`outputStride\` must be 32 for the \\w+ family: .* \\(got outputStride=16\\)$`));
    }
    expect(() => createModel('xception', { outputStride: 8 })).toThrow("createModel('xception'): `outputStride` must be 32 for the xception family: its reference architecture has no dilated output stride (got outputStride=8)");
    expect(createModel('squeezenet1_1', { outputStride: 32, inputShape: [64, 64, 3] }).outputs[0]?.shape).toEqual([null, 1000]);
  });

  it('any value but 8, 16 or 32 is an error naming the option and the value', () => {
    for (const bad of [4, 12, 64, 0, '16']) {
      expect(() => createModel('resnet50', { outputStride: bad as never })).toThrow(`createModel('resnet50'): \`outputStride\` must be 8, 16 or 32 (got outputStride=${JSON.stringify(bad)})`);
    }
  });
});
