import type * as tf from '@tensorflow/tfjs';
import { convBnAct } from '@netblocks/core';
import { invertedResidual, scaleDepth, scaleWidth } from '@netblocks/inverted-residual';
import { pooledClassifier } from '../head.js';
import type { Backbone, FamilyDefinition, ResolvedModelOptions, VariantInfo } from '../types.js';
import { torchvisionPreprocessing } from '../weights/preprocessing.js';
import { dilateStages } from './output-stride.js';

/** Compound-scaling coefficients of one EfficientNet (Tan & Le, eq. 3 and Table 1's B0 scaled). */
export interface EfficientNetConfig {
  widthCoefficient: number;
  depthCoefficient: number;
}

/** B0's stages: expansion, kernel, stride, input and output channels, repeats; SE 0.25 everywhere. */
const STAGES = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
] as const;

/** Stages whose output timm and torchvision report as features (reductions 2, 4, 8, 16, 32). */
const FEATURE_STAGES = new Set([0, 1, 2, 4, 6]);

/**
 * torchvision's layout and names: `features.0` (stem conv-BN-SiLU), `features.{1..7}.{i}` (MBConv:
 * `block.0..3`, `stochastic_depth`), `features.8` (1x1 head conv to 4x the last stage's width),
 * `classifier.1`. Drop-path grows linearly with the block index up to `dropPathRate`.
 * `outputStride` as timm's `EfficientNetBuilder` (its efficientnet_b* take it): at 16, features.6.0
 * runs at stride 1 and the depthwise convs after it are dilated 2; at 8, features.4.0 and
 * features.6.0 give up their strides (dilation 2 from features.4.1, 4 from features.6.1).
 */
export function efficientNetBackbone(input: tf.SymbolicTensor, config: EfficientNetConfig, options: ResolvedModelOptions): Backbone {
  const width = (c: number) => scaleWidth(c, config.widthCoefficient);
  const stages = STAGES.map(([t, k, s, cin, cout, n]) => ({ t, k, s, cin: width(cin), cout: width(cout), n: scaleDepth(n, config.depthCoefficient) }));
  const totalBlocks = stages.reduce((sum, stage) => sum + stage.n, 0);
  const common = { padding: options.padding, epsilon: options.bnEpsilon } as const;
  let x = convBnAct({ name: 'features.0', filters: width(32), kernelSize: 3, strides: 2, activation: 'swish', ...common })(input);
  const taps: Backbone['taps'] = [];
  let blockId = 0;
  const plan = dilateStages(stages.map((stage) => stage.n), stages.map((stage) => stage.s), options.outputStride, 2);
  stages.forEach(({ t, k, cin, cout, n }, stage) => {
    const blocks = plan[stage] ?? [];
    blocks.forEach(({ strides, dilation }, i) => {
      x = invertedResidual({
        name: `features.${stage + 1}.${i}`,
        inChannels: i === 0 ? cin : cout,
        outChannels: cout,
        expandRatio: t,
        kernelSize: k,
        strides,
        dilation,
        activation: 'swish',
        se: { reduced: { ratio: 0.25, of: 'input' } },
        expandDivisor: 8,
        dropPathRate: (options.dropPathRate * blockId++) / totalBlocks,
        names: 'torchvision-efficientnet',
        ...common,
      })(x);
    });
    const reduction = blocks[n - 1]?.reduction as number;
    if (FEATURE_STAGES.has(stage)) taps.push({ name: `features.${stage + 1}.${n - 1}`, channels: cout, reduction, tensor: x });
  });
  const last = stages[stages.length - 1]?.cout as number;
  x = convBnAct({ name: 'features.8', filters: 4 * last, kernelSize: 1, activation: 'swish', ...common })(x);
  return { output: x, taps };
}

const row = (
  widthCoefficient: number,
  depthCoefficient: number,
  inputSize: number,
  dropRate: number,
  totalParams: number,
  trainableParams: number,
  crop: [resize: number, size: number],
  extra: { macs?: number; bnEpsilon?: number } = {},
): VariantInfo<EfficientNetConfig> => ({
  config: { widthCoefficient, depthCoefficient },
  inputSize,
  preprocessing: { crop: { resize: crop[0], size: crop[1], interpolation: 'bicubic' } },
  dropRate,
  dropPathRate: 0.2,
  ...(extra.bnEpsilon === undefined ? {} : { bnEpsilon: extra.bnEpsilon }),
  reference: extra.macs === undefined ? { totalParams, trainableParams } : { totalParams, trainableParams, macs: extra.macs },
});

export const efficientNet: FamilyDefinition<EfficientNetConfig> = {
  family: 'efficientnet',
  paper: { title: 'EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks', url: 'https://arxiv.org/abs/1905.11946' },
  weights: 'torchvision',
  // torchvision's IMAGENET1K_V1 transforms per variant (bicubic; B2 crops 288 though its paper resolution is 260).
  preprocessing: torchvisionPreprocessing(256, 224, 'bicubic', 'torchvision EfficientNet_B*_Weights.IMAGENET1K_V1 transforms'),
  bnEpsilon: 1e-5,
  supportsDropPath: true,
  supportsOutputStride: true,
  minInputSize: () => 32,
  backbone: efficientNetBackbone,
  knobs: { widthMultiplier: (config, widthCoefficient) => ({ ...config, widthCoefficient }) },
  classifier: pooledClassifier({ pool: 'avgpool', dropout: 'classifier.0', fc: 'classifier.1' }),

  // Crops: torchvision's IMAGENET1K_V1 transforms [resize, crop] (B1's IMAGENET1K_V2 uses 255/240 bilinear).
  // torchvision builds B5-B7 with BatchNorm eps 1e-3 (their weights come from TF); B0-B4 with PyTorch's 1e-5.
  variants: {
    efficientnet_b0: row(1.0, 1.0, 224, 0.2, 5_330_564, 5_288_548, [256, 224], { macs: 0.386e9 }),
    efficientnet_b1: row(1.0, 1.1, 240, 0.2, 7_856_232, 7_794_184, [256, 240]),
    efficientnet_b2: row(1.1, 1.2, 260, 0.3, 9_177_562, 9_109_994, [288, 288]),
    efficientnet_b3: row(1.2, 1.4, 300, 0.3, 12_320_528, 12_233_232, [320, 300]),
    efficientnet_b4: row(1.4, 1.8, 380, 0.4, 19_466_816, 19_341_616, [384, 380]),
    efficientnet_b5: row(1.6, 2.2, 456, 0.4, 30_562_520, 30_389_784, [456, 456], { bnEpsilon: 1e-3 }),
    efficientnet_b6: row(1.8, 2.6, 528, 0.5, 43_265_136, 43_040_704, [528, 528], { bnEpsilon: 1e-3 }),
    efficientnet_b7: row(2.0, 3.1, 600, 0.5, 66_658_680, 66_347_960, [600, 600], { macs: 37.75e9, bnEpsilon: 1e-3 }),
  },
};
