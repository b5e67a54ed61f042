import * as tf from '@tensorflow/tfjs';
import { batchNorm, torchPad } from '@netblocks/core';
import { resnextBottleneck, type BranchAttention } from '@netblocks/group-conv';
import { seAttention } from '@netblocks/se-block';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { TORCHVISION_V1 } from '../weights/preprocessing.js';
import { dilateStages } from './output-stride.js';

/** One ResNet/ResNeXt: blocks per stage, cardinality C, width per group d (torchvision's `groups`, `width_per_group`). */
export interface ResNetConfig {
  layers: readonly [number, number, number, number];
  cardinality: number;
  baseWidth: number;
  /** Applied to each block's residual branch before the addition (SE-ResNet); none for ResNet/ResNeXt. */
  attention?: BranchAttention;
}

const STAGE_PLANES = [64, 128, 256, 512] as const;

/** The ResNet stem: 7x7/2 conv -> BN -> ReLU -> 3x3/2 max-pool (torchvision names `conv1`, `bn1`, `relu`, `maxpool`). */
function stem(input: tf.SymbolicTensor, options: ResolvedModelOptions): tf.SymbolicTensor[] {
  const torch = options.padding === 'torch';
  const conv = tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, useBias: false, padding: torch ? 'valid' : 'same', name: 'conv1' });
  let x = conv.apply(torch ? torchPad('conv1.pad', 7)(input) : input) as tf.SymbolicTensor;
  x = batchNorm('bn1', { epsilon: options.bnEpsilon }).apply(x) as tf.SymbolicTensor;
  const act = tf.layers.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
  // Zero padding equals PyTorch's -inf padding here: the input is non-negative after the ReLU.
  const pool = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: torch ? 'valid' : 'same', name: 'maxpool' });
  return [act, pool.apply(torch ? torchPad('maxpool.pad', 3)(act) : act) as tf.SymbolicTensor];
}

/**
 * With `outputStride` 16 (8), layer4 (layer3 and layer4) run at stride 1 and their 3x3 convs are
 * dilated 2 (2, then 4), except each such stage's first block, which reads at the previous stage's
 * rate (timm's `make_blocks`: `first_dilation=prev_dilation`); the downsample stays a 1x1 conv.
 */
export function resnetBackbone(input: tf.SymbolicTensor, config: ResNetConfig, options: ResolvedModelOptions): Backbone {
  const [act, pooled] = stem(input, options) as [tf.SymbolicTensor, tf.SymbolicTensor];
  const taps: Backbone['taps'] = [{ name: 'relu', channels: 64, reduction: 2, tensor: act }];
  let x = pooled;
  let inChannels = 64;
  dilateStages(config.layers, [1, 2, 2, 2], options.outputStride, 4).forEach((stageBlocks, stage) => {
    const planes = STAGE_PLANES[stage] as number;
    stageBlocks.forEach(({ strides, dilation }, b) => {
      x = resnextBottleneck({
        name: `layer${stage + 1}.${b}`,
        inChannels,
        planes,
        cardinality: config.cardinality,
        baseWidth: config.baseWidth,
        strides,
        dilation,
        attention: config.attention,
        padding: options.padding,
        epsilon: options.bnEpsilon,
      })(x);
      inChannels = planes * 4;
    });
    const last = stageBlocks.length - 1;
    taps.push({ name: `layer${stage + 1}.${last}.act3`, channels: inChannels, reduction: stageBlocks[last]?.reduction as number, tensor: x });
  });
  return { output: x, taps };
}

export const resnet: FamilyDefinition<ResNetConfig> = {
  family: 'resnet',
  paper: { title: 'Aggregated Residual Transformations for Deep Neural Networks (ResNeXt)', url: 'https://arxiv.org/abs/1611.05431' },
  // torchvision's names; timm's resnet/seresnet use the same ones (its stem ReLU is `act1`, weightless).
  weights: 'torchvision',
  // torchvision's IMAGENET1K_V1 (the V2 weights resize to 232); timm's seresnet50 uses ImageNet mean/std too.
  preprocessing: TORCHVISION_V1,
  bnEpsilon: 1e-5,
  minInputSize: () => 32,
  supportsOutputStride: true,
  backbone: resnetBackbone,
  knobs: { groups: (config, cardinality) => ({ ...config, cardinality }) },
  variants: {
    resnet50: {
      config: { layers: [3, 4, 6, 3], cardinality: 1, baseWidth: 64 },
      inputSize: 224,
      reference: { totalParams: 25_610_152, trainableParams: 25_557_032, macs: 4.089e9 },
    },
    resnext50_32x4d: {
      config: { layers: [3, 4, 6, 3], cardinality: 32, baseWidth: 4 },
      inputSize: 224,
      reference: { totalParams: 25_097_128, trainableParams: 25_028_904, macs: 4.2305e9 },
    },
    resnext101_32x4d: {
      config: { layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 4 },
      inputSize: 224,
      reference: { totalParams: 44_315_560, trainableParams: 44_177_704, macs: 7.97e9 },
    },
    // SENet: an SE of C/16 of the block's output channels after bn3, before the addition (timm names `layerN.i.se.fc1/fc2`).
    seresnet50: {
      config: { layers: [3, 4, 6, 3], cardinality: 1, baseWidth: 64, attention: seAttention() },
      inputSize: 224,
      reference: { totalParams: 28_141_144, trainableParams: 28_088_024, macs: 4.092e9 },
    },
    seresnext50_32x4d: {
      config: { layers: [3, 4, 6, 3], cardinality: 32, baseWidth: 4, attention: seAttention() },
      inputSize: 224,
      reference: { totalParams: 27_628_120, trainableParams: 27_559_896, macs: 4.233e9 },
    },
    resnext101_32x8d: {
      config: { layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 8 },
      inputSize: 224,
      reference: { totalParams: 88_994_216, trainableParams: 88_791_336, macs: 16.414e9 },
    },
  },
};
