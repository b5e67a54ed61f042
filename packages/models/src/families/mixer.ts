import * as tf from '@tensorflow/tfjs';
import { MIXER_LAYER_NORM_EPSILON, mixerBlock, mixerStem } from '@netblocks/mlp-mixer';
import { pooledClassifier } from '../head.js';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { timmPreprocessing } from '../weights/preprocessing.js';

/** One Mixer (Tolstikhin et al., Table 1): patch size P, hidden C, MLP widths D_S and D_C, depth. */
export interface MixerConfig {
  patchSize: number;
  channels: number;
  tokenMlpDim: number;
  channelMlpDim: number;
  depth: number;
}

/**
 * timm's names: `stem.proj`, `blocks.{i}.norm1`, `.mlp_tokens.fc1/fc2`, `.norm2`, `.mlp_channels.fc1/fc2`,
 * `norm`, `head`. The backbone's output is the final LayerNorm's tokens laid back on their
 * `H/P x W/P` grid, so global average pooling is the paper's mean over tokens.
 */
export function mixerBackbone(input: tf.SymbolicTensor, config: MixerConfig, options: ResolvedModelOptions): Backbone {
  const [h, w] = options.inputShape;
  const { patchSize: p, channels } = config;
  if (h % p !== 0 || w % p !== 0) {
    throw new Error(`createModel: a Mixer with patch size ${p} needs an input height and width divisible by ${p} (got inputShape=${JSON.stringify(options.inputShape)})`);
  }
  const grid = [h / p, w / p, channels];
  const tokens = (h / p) * (w / p);
  const epsilon = options.bnEpsilon ?? MIXER_LAYER_NORM_EPSILON;
  const toGrid = (x: tf.SymbolicTensor, name: string) => tf.layers.reshape({ targetShape: grid, name }).apply(x) as tf.SymbolicTensor;
  let x = mixerStem({ patchSize: p, channels })(input);
  const taps: Backbone['taps'] = [];
  for (let i = 0; i < config.depth; i++) {
    x = mixerBlock({ name: `blocks.${i}`, tokens, channels, tokenMlpDim: config.tokenMlpDim, channelMlpDim: config.channelMlpDim, epsilon })(x);
    taps.push({ name: `blocks.${i}.grid`, channels, reduction: p, tensor: toGrid(x, `blocks.${i}.grid`) });
  }
  x = tf.layers.layerNormalization({ axis: -1, epsilon, name: 'norm' }).apply(x) as tf.SymbolicTensor;
  return { output: toGrid(x, 'norm.grid'), taps };
}

const row = (patchSize: number, channels: number, tokenMlpDim: number, channelMlpDim: number, depth: number, params: number, macs: number) => ({
  config: { patchSize, channels, tokenMlpDim, channelMlpDim, depth },
  inputSize: 224,
  reference: { totalParams: params, trainableParams: params, macs },
});

export const mixer: FamilyDefinition<MixerConfig> = {
  family: 'mixer',
  paper: { title: 'MLP-Mixer: An all-MLP Architecture for Vision', url: 'https://arxiv.org/abs/2105.01601' },
  weights: 'timm',
  // timm's mixer_*_224 (JAX weights): mean/std 0.5, crop_pct 0.875, bicubic.
  preprocessing: timmPreprocessing(224, 0.875, 'bicubic', 'inception', 'timm mlp_mixer _cfg (mixer_b16_224.goog_in21k_ft_in1k)'),
  // LayerNorm's epsilon: `bnEpsilon` overrides it for this family.
  bnEpsilon: MIXER_LAYER_NORM_EPSILON,
  minInputSize: (config) => config.patchSize,
  backbone: mixerBackbone,
  classifier: pooledClassifier({ pool: 'pool', dropout: 'head_drop', fc: 'head' }),

  variants: {
    mixer_s32_224: row(32, 512, 256, 2048, 8, 19_104_624, 1.002e9),
    mixer_s16_224: row(16, 512, 256, 2048, 8, 18_528_264, 3.777e9),
    mixer_b32_224: row(32, 768, 384, 3072, 12, 60_293_428, 3.238e9),
    mixer_b16_224: row(16, 768, 384, 3072, 12, 59_880_472, 12.602e9),
    mixer_l32_224: row(32, 1024, 512, 4096, 24, 206_939_264, 11.253e9),
    mixer_l16_224: row(16, 1024, 512, 4096, 24, 208_196_168, 44.548e9),
  },
};
