import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, makeDivisible, torchPad } from '@netblocks/core';
import { invertedResidual } from '@netblocks/inverted-residual';
import { pooledClassifier } from '../head.js';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { timmPreprocessing } from '../weights/preprocessing.js';
import { dilateStages } from './output-stride.js';

/** MobileNetV2 at one width multiplier (Sandler et al., Table 2). */
export interface MobileNetV2Config {
  widthMultiplier: number;
}

/** The paper's table: expansion t, output channels c, repeats n, first stride s. */
const SETTINGS = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
] as const;

/** Stages whose output timm reports as features (reductions 2, 4, 8, 16, 32). */
const FEATURE_STAGES = new Set([0, 1, 2, 4, 6]);

function apply(layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/**
 * timm's names: `conv_stem`, `bn1`, `blocks.{stage}.{i}` (`conv_pw`, `bn1`, `conv_dw`, ...), `conv_head`, `bn2`.
 * `outputStride` as timm's `EfficientNetBuilder`: at 16, blocks.5.0 runs at stride 1 and the blocks
 * after it have depthwise dilation 2; at 8, blocks.3.0 and blocks.5.0 give up their strides (dilation
 * 2 from blocks.3.1, 4 from blocks.5.1; blocks.5.0 itself at 2).
 */
export function mobilenetV2Backbone(input: tf.SymbolicTensor, config: MobileNetV2Config, options: ResolvedModelOptions): Backbone {
  const width = (c: number) => makeDivisible(c * config.widthMultiplier, 8);
  const torch = options.padding === 'torch';
  const bn = (name: string) => batchNorm(name, { epsilon: options.bnEpsilon });
  const stem = width(32);
  let x = apply(tf.layers.conv2d({ filters: stem, kernelSize: 3, strides: 2, useBias: false, padding: torch ? 'valid' : 'same', name: 'conv_stem' }), torch ? torchPad('conv_stem.pad', 3)(input) : input);
  x = apply(activationLayer('relu6', 'bn1.act'), apply(bn('bn1'), x));
  const taps: Backbone['taps'] = [];
  let inChannels = stem;
  const plan = dilateStages(SETTINGS.map((row) => row[2]), SETTINGS.map((row) => row[3]), options.outputStride, 2);
  SETTINGS.forEach(([t, c, n], stage) => {
    const out = width(c);
    const blocks = plan[stage] ?? [];
    blocks.forEach(({ strides, dilation }, i) => {
      x = invertedResidual({
        name: `blocks.${stage}.${i}`,
        inChannels,
        outChannels: out,
        expandRatio: t,
        strides,
        dilation,
        activation: 'relu6',
        padding: options.padding,
        epsilon: options.bnEpsilon,
        names: 'timm',
        expandDivisor: 8,
      })(x);
      inChannels = out;
    });
    const reduction = blocks[n - 1]?.reduction as number;
    if (FEATURE_STAGES.has(stage)) taps.push({ name: `blocks.${stage}.${n - 1}`, channels: out, reduction, tensor: x });
  });
  // The last conv is widened only for multipliers above 1.
  const head = Math.max(1280, width(1280));
  x = apply(tf.layers.conv2d({ filters: head, kernelSize: 1, useBias: false, name: 'conv_head' }), x);
  x = apply(activationLayer('relu6', 'bn2.act'), apply(bn('bn2'), x));
  return { output: x, taps };
}

const row = (widthMultiplier: number, totalParams: number, trainableParams: number, macs: number) => ({
  config: { widthMultiplier },
  inputSize: 224,
  reference: { totalParams, trainableParams, macs },
});

export const mobilenetV2: FamilyDefinition<MobileNetV2Config> = {
  family: 'mobilenetv2',
  paper: { title: 'MobileNetV2: Inverted Residuals and Linear Bottlenecks', url: 'https://arxiv.org/abs/1801.04381' },
  weights: 'timm',
  // timm's efficientnet.py _cfg (mobilenetv2_100.ra_in1k): ImageNet mean/std, crop_pct 0.875, bicubic.
  preprocessing: timmPreprocessing(224, 0.875, 'bicubic', 'imagenet', 'timm mobilenetv2_100.ra_in1k'),
  bnEpsilon: 1e-5,
  minInputSize: () => 32,
  supportsOutputStride: true,
  backbone: mobilenetV2Backbone,
  knobs: { widthMultiplier: (_config, widthMultiplier) => ({ widthMultiplier }) },
  classifier: pooledClassifier({ pool: 'global_pool', dropout: 'head_drop', fc: 'classifier' }),

  variants: {
    mobilenetv2_035: row(0.35, 1_691_208, 1_677_128, 59.3e6),
    mobilenetv2_050: row(0.5, 1_987_224, 1_968_680, 97.1e6),
    mobilenetv2_075: row(0.75, 2_663_064, 2_636_424, 209.1e6),
    mobilenetv2_100: row(1, 3_538_984, 3_504_872, 300.8e6),
    mobilenetv2_140: row(1.4, 6_156_712, 6_108_776, 582.2e6),
  },
};
