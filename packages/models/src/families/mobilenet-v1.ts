import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, makeDivisible, torchPad } from '@netblocks/core';
import { mobilenetV1Block } from '@netblocks/depthwise-sep';
import { pooledClassifier } from '../head.js';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { timmPreprocessing } from '../weights/preprocessing.js';
import { dilateStages } from './output-stride.js';

/** MobileNetV1 at one width multiplier (Howard et al., Table 1). */
export interface MobileNetV1Config {
  widthMultiplier: number;
}

/** Stages as timm's `_gen_mobilenet_v1` (`dsa_r{n}_k3_s{s}_c{c}`): [output channels, blocks, first stride]. */
const STAGES = [
  [64, 1, 1],
  [128, 2, 2],
  [256, 2, 2],
  [512, 6, 2],
  [1024, 2, 2],
] as const;

/**
 * timm's names: `conv_stem`, `bn1` (+ `bn1.act`), `blocks.{stage}.{i}`; the head is the last block.
 * `outputStride` as timm's `EfficientNetBuilder` (which `mobilenetv1_*` takes with `features_only`):
 * at 16, blocks.4.0 runs at stride 1 and blocks.4.1 has dilation 2; at 8, blocks.3.0 and blocks.4.0
 * give up their strides (dilation 2 from blocks.3.1, blocks.4.0 at 2, blocks.4.1 at 4).
 */
export function mobilenetV1Backbone(input: tf.SymbolicTensor, config: MobileNetV1Config, options: ResolvedModelOptions): Backbone {
  const width = (c: number) => makeDivisible(c * config.widthMultiplier, 8);
  const torch = options.padding === 'torch';
  const stemFilters = width(32);
  let x = tf.layers
    .conv2d({ filters: stemFilters, kernelSize: 3, strides: 2, useBias: false, padding: torch ? 'valid' : 'same', name: 'conv_stem' })
    .apply(torch ? torchPad('conv_stem.pad', 3)(input) : input) as tf.SymbolicTensor;
  x = batchNorm('bn1', { epsilon: options.bnEpsilon }).apply(x) as tf.SymbolicTensor;
  // timm's MobileNetV1 uses ReLU6 (its `_gen_mobilenet_v1` default), where the paper says ReLU.
  x = activationLayer('relu6', 'bn1.act').apply(x) as tf.SymbolicTensor;
  const taps: Backbone['taps'] = [];
  const plan = dilateStages(STAGES.map((row) => row[1]), STAGES.map((row) => row[2]), options.outputStride, 2);
  STAGES.forEach(([channels, blocks], stage) => {
    const stageBlocks = plan[stage] ?? [];
    stageBlocks.forEach(({ strides, dilation }, i) => {
      x = mobilenetV1Block({ name: `blocks.${stage}.${i}`, filters: width(channels), strides, dilation, activation: 'relu6', padding: options.padding, epsilon: options.bnEpsilon })(x);
    });
    taps.push({ name: `blocks.${stage}.${blocks - 1}.bn2.act`, channels: width(channels), reduction: stageBlocks[blocks - 1]?.reduction as number, tensor: x });
  });
  return { output: x, taps };
}

const PAPER = { title: 'MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications', url: 'https://arxiv.org/abs/1704.04861' };

export const mobilenetV1: FamilyDefinition<MobileNetV1Config> = {
  family: 'mobilenetv1',
  paper: PAPER,
  weights: 'timm',
  // timm's mobilenetv1_100.ra4_e3600_r224_in1k: IMAGENET_INCEPTION mean/std, crop_pct 0.875, bicubic.
  preprocessing: timmPreprocessing(224, 0.875, 'bicubic', 'inception', 'timm mobilenetv1_100.ra4_e3600_r224_in1k'),
  bnEpsilon: 1e-5,
  minInputSize: () => 32,
  supportsOutputStride: true,
  backbone: mobilenetV1Backbone,
  knobs: { widthMultiplier: (_config, widthMultiplier) => ({ widthMultiplier }) },
  classifier: pooledClassifier({ pool: 'global_pool', dropout: 'head_drop', fc: 'classifier' }),

  variants: {
    mobilenetv1_100: { config: { widthMultiplier: 1 }, inputSize: 224, reference: { totalParams: 4_253_864, trainableParams: 4_231_976, macs: 568.7e6 } },
    mobilenetv1_075: { config: { widthMultiplier: 0.75 }, inputSize: 224, reference: { totalParams: 2_601_976, trainableParams: 2_585_560 } },
    mobilenetv1_050: { config: { widthMultiplier: 0.5 }, inputSize: 224, reference: { totalParams: 1_342_536, trainableParams: 1_331_592 } },
    mobilenetv1_025: { config: { widthMultiplier: 0.25 }, inputSize: 224, reference: { totalParams: 475_544, trainableParams: 470_072 } },
  },
};
