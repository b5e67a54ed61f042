import type * as tf from '@tensorflow/tfjs';
import { shuffleNetV1Unit } from '@netblocks/channel-shuffle';
import { pooledClassifier } from '../head.js';
import type { Backbone, FamilyDefinition, ResolvedModelOptions, VariantInfo } from '../types.js';
import { shuffleNetStem, STAGE_REPEATS } from './shufflenet-common.js';
import { MEGVII } from '../weights/preprocessing.js';

/** ShuffleNet V1: groups, stem width and stage widths (paper Table 1, megvii's model sizes). */
export interface ShuffleNetV1Config {
  groups: 1 | 2 | 3 | 4 | 8;
  stem: number;
  stages: readonly [number, number, number];
}

/**
 * megvii's layout and names: `first_conv.0/1`, `maxpool`, `features.{0..15}`, `classifier.0` (no
 * bias). The first unit of stage 2 has an ungrouped first 1x1 conv; units shuffle after the
 * depthwise conv in megvii's order, so megvii checkpoints load (REFERENCE.md traps 6, 8).
 */
export function shuffleNetV1Backbone(input: tf.SymbolicTensor, config: ShuffleNetV1Config, options: ResolvedModelOptions): Backbone {
  const [act, pooled] = shuffleNetStem(input, 'first_conv', config.stem, options);
  const taps: Backbone['taps'] = [{ name: 'first_conv.2', channels: config.stem, reduction: 2, tensor: act }];
  let x = pooled;
  let channels = config.stem;
  let index = 0;
  STAGE_REPEATS.forEach((repeats, s) => {
    const out = config.stages[s] as number;
    for (let i = 0; i < repeats; i++) {
      x = shuffleNetV1Unit({
        name: `features.${index++}`,
        inChannels: channels,
        outChannels: out,
        groups: config.groups,
        strides: i === 0 ? 2 : 1,
        firstGroupUngrouped: s === 0 && i === 0,
        padding: options.padding,
        epsilon: options.bnEpsilon,
      })(x);
      channels = out;
    }
    taps.push({ name: `features.${index - 1}`, channels: out, reduction: 2 ** (s + 3), tensor: x });
  });
  return { output: x, taps };
}

/** Stage widths at 1x for each group count (paper, Table 1). */
const PAPER_WIDTHS: Record<number, readonly [number, number, number]> = {
  1: [144, 288, 576],
  2: [200, 400, 800],
  3: [240, 480, 960],
  4: [272, 544, 1088],
  8: [384, 768, 1536],
};

const row = (
  groups: ShuffleNetV1Config['groups'],
  stem: number,
  stages: ShuffleNetV1Config['stages'],
  totalParams: number,
  trainableParams: number,
  macs?: number,
): VariantInfo<ShuffleNetV1Config> => ({
  config: { groups, stem, stages },
  inputSize: 224,
  reference: macs === undefined ? { totalParams, trainableParams } : { totalParams, trainableParams, macs },
});

export const shuffleNetV1: FamilyDefinition<ShuffleNetV1Config> = {
  family: 'shufflenet_v1',
  paper: { title: 'ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices', url: 'https://arxiv.org/abs/1707.01083' },
  weights: 'megvii',
  // megvii's evaluation: BGR in [0, 255], no mean/std (ShuffleNet-Series ToBGRTensor).
  preprocessing: MEGVII,
  bnEpsilon: 1e-5,
  minInputSize: () => 32,
  backbone: shuffleNetV1Backbone,
  knobs: {
    // The paper's Table 1 widths for g groups at 1x, scaled as this variant is scaled.
    groups: (config, groups) => {
      const base = PAPER_WIDTHS[groups];
      if (!base) throw new Error(`createModel: ShuffleNet V1's \`groups\` must be 1, 2, 3, 4 or 8 (got groups=${groups})`);
      const current = PAPER_WIDTHS[config.groups] as readonly number[];
      const scale = config.stages[0] / (current[0] as number);
      return { ...config, groups: groups as ShuffleNetV1Config['groups'], stages: base.map((w) => Math.round(w * scale)) as unknown as ShuffleNetV1Config['stages'] };
    },
  },
  classifier: pooledClassifier({ pool: 'globalpool', dropout: 'dropout', fc: 'classifier.0', useBias: false }),

  variants: {
    shufflenet_v1_g1_x1_0: row(1, 24, [144, 288, 576], 1_545_624, 1_530_936),
    shufflenet_v1_g2_x1_0: row(2, 24, [200, 400, 800], 1_753_248, 1_732_848),
    shufflenet_v1_g3_x1_0: row(3, 24, [240, 480, 960], 1_889_208, 1_864_728, 137.46e6),
    shufflenet_v1_g4_x1_0: row(4, 24, [272, 544, 1088], 1_995_088, 1_967_344),
    shufflenet_v1_g8_x1_0: row(8, 24, [384, 768, 1536], 2_472_936, 2_433_768, 138.37e6),
    shufflenet_v1_g3_x0_5: row(3, 12, [120, 240, 480], 729_564, 717_324, 37.59e6),
    shufflenet_v1_g3_x1_5: row(3, 24, [360, 720, 1440], 3_477_888, 3_441_168, 292.44e6),
    shufflenet_v1_g3_x2_0: row(3, 48, [480, 960, 1920], 5_498_736, 5_449_776, 524.05e6),
    shufflenet_v1_g8_x0_5: row(8, 16, [192, 384, 768], 1_030_032, 1_010_448, 40.47e6),
    shufflenet_v1_g8_x1_5: row(8, 24, [576, 1152, 2304], 4_327_704, 4_268_952, 290.19e6),
    shufflenet_v1_g8_x2_0: row(8, 48, [768, 1536, 3072], 6_599_568, 6_521_232, 521.94e6),
  },
};
