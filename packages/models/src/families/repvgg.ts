import type * as tf from '@tensorflow/tfjs';
import { repvggBlock } from '@netblocks/repvgg-reparam';
import { pooledClassifier } from '../head.js';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { timmPreprocessing } from '../weights/preprocessing.js';
import { dilateStages } from './output-stride.js';

/** One RepVGG (Ding et al., Table 2): blocks per stage, width multipliers a (stages 0-3) and b (stage 4), grouped layers. */
export interface RepVGGConfig {
  blocks: readonly [number, number, number, number, number];
  a: number;
  b: number;
  /** Groups of the 3x3 and 1x1 convs on the official `optional_groupwise_layers` 2, 4, ..., 26 (1 = none). */
  groups: 1 | 2 | 4;
}

const A = [1, 2, 4, 14, 1] as const;
const B = [1, 4, 6, 16, 1] as const;

/**
 * Official names: `stage0`, `stage1.0`, ..., `stage4.0`; each block `rbr_dense`, `rbr_1x1`, `rbr_identity`.
 * `outputStride` as timm's byobnet (`repvgg_*` take it): at 16, stage4 runs at stride 1 and its 3x3
 * convs after the first block are dilated 2 (A and B have one block there: nothing is dilated); at 8,
 * stage3 also runs at stride 1, its blocks after the first dilated 2, stage4's first block 2, the rest 4.
 * The first block of a dilated stage reads at the previous rate (byobnet's `first_dilation`) and,
 * as in byobnet, has no identity branch even where its widths match (the stride-32 block's weights).
 */
export function repvggBackbone(input: tf.SymbolicTensor, config: RepVGGConfig, options: ResolvedModelOptions): Backbone {
  const { blocks, a, b } = config;
  const widths = [Math.min(64, Math.floor(64 * a)), Math.floor(64 * a), Math.floor(128 * a), Math.floor(256 * a), Math.floor(512 * b)];
  const taps: Backbone['taps'] = [];
  let x = input;
  let inChannels = input.shape[3] as number;
  let layerIndex = 0;
  const plan = dilateStages(blocks, [2, 2, 2, 2, 2], options.outputStride, 1);
  blocks.forEach((count, stage) => {
    const outChannels = widths[stage] as number;
    const stageBlocks = plan[stage] ?? [];
    stageBlocks.forEach(({ strides, dilation }, i) => {
      // The grouped layers are the even global block indices 2..26 (stage0's block is 0).
      const grouped = config.groups > 1 && layerIndex % 2 === 0 && layerIndex >= 2 && layerIndex <= 26;
      x = repvggBlock({
        name: stage === 0 ? 'stage0' : `stage${stage}.${i}`,
        inChannels,
        outChannels,
        strides,
        dilation,
        // The block that gave up its stride (every stage starts with one) has no identity, as in timm.
        identity: !(i === 0 && strides === 1),
        groups: grouped ? config.groups : 1,
        padding: options.padding,
        epsilon: options.bnEpsilon,
      })(x);
      inChannels = outChannels;
      layerIndex++;
    });
    const last = stage === 0 ? 'stage0' : `stage${stage}.${count - 1}`;
    taps.push({ name: `${last}.nonlinearity`, channels: outChannels, reduction: stageBlocks[count - 1]?.reduction as number, tensor: x });
  });
  return { output: x, taps };
}

const row = (blocks: RepVGGConfig['blocks'], a: number, b: number, groups: RepVGGConfig['groups'], totalParams: number, trainableParams: number, macs: number) => ({
  config: { blocks, a, b, groups },
  inputSize: 224,
  reference: { totalParams, trainableParams, macs },
});

export const repvgg: FamilyDefinition<RepVGGConfig> = {
  family: 'repvgg',
  paper: { title: 'RepVGG: Making VGG-style ConvNets Great Again', url: 'https://arxiv.org/abs/2101.03697' },
  // The official DingXiaoH/RepVGG names (`stage1.0.rbr_dense.conv`), which its checkpoints use; timm's differ.
  weights: 'official',
  // timm's byobnet _cfg (repvgg_*.rvgg_in1k): ImageNet mean/std, crop_pct 0.875, bilinear.
  // The official repo evaluates as torchvision does: resize 256, centre crop 224, ImageNet mean/std.
  preprocessing: timmPreprocessing(224, 0.875, 'bilinear', 'imagenet', 'official RepVGG ImageNet evaluation'),
  bnEpsilon: 1e-5,
  minInputSize: () => 32,
  supportsOutputStride: true,
  backbone: repvggBackbone,
  knobs: {
    groups: (config, groups) => {
      if (groups !== 1 && groups !== 2 && groups !== 4) throw new Error(`createModel: RepVGG's \`groups\` must be 1, 2 or 4 (got groups=${groups})`);
      return { ...config, groups };
    },
  },
  classifier: pooledClassifier({ pool: 'gap', dropout: 'head_drop', fc: 'linear' }),

  variants: {
    repvgg_a0: row(A, 0.75, 2.5, 1, 9_132_616, 9_108_968, 1.513e9),
    repvgg_a1: row(A, 1, 2.5, 1, 14_122_088, 14_092_264, 2.627e9),
    repvgg_a2: row(A, 1.5, 2.75, 1, 28_253_160, 28_210_600, 5.685e9),
    repvgg_b0: row(B, 1, 2.5, 1, 15_853_160, 15_817_960, 3.397e9),
    repvgg_b1: row(B, 2, 4, 1, 57_483_112, 57_415_016, 13.128e9),
    repvgg_b1g2: row(B, 2, 4, 2, 45_850_472, 45_782_376, 9.788e9),
    repvgg_b1g4: row(B, 2, 4, 4, 40_034_152, 39_966_056, 8.119e9),
    repvgg_b2: row(B, 2.5, 5, 1, 89_107_432, 89_022_376, 20.418e9),
    repvgg_b2g4: row(B, 2.5, 5, 4, 61_843_432, 61_758_376, 12.591e9),
    repvgg_b3: row(B, 3, 5, 1, 123_185_256, 123_085_288, 29.121e9),
    repvgg_b3g4: row(B, 3, 5, 4, 83_925_096, 83_825_128, 17.849e9),
  },
};
