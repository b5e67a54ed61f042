import type * as tf from '@tensorflow/tfjs';
import { convBnAct } from '@netblocks/core';
import { shuffleNetV2Unit } from '@netblocks/channel-shuffle';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { shuffleNetStem, STAGE_REPEATS } from './shufflenet-common.js';
import { TORCHVISION_V1 } from '../weights/preprocessing.js';

/** ShuffleNet V2 widths [stem, stage2, stage3, stage4, conv5] (Ma et al., Table 5). */
export interface ShuffleNetV2Config {
  widths: readonly [number, number, number, number, number];
}

/** torchvision's names: `conv1.0/1`, `maxpool`, `stage{2,3,4}.{i}.branch{1,2}.*`, `conv5.0/1`, `fc`. */
export function shuffleNetV2Backbone(input: tf.SymbolicTensor, config: ShuffleNetV2Config, options: ResolvedModelOptions): Backbone {
  const [stem, ...rest] = config.widths;
  const [act, pooled] = shuffleNetStem(input, 'conv1', stem, options);
  const taps: Backbone['taps'] = [{ name: 'conv1.2', channels: stem, reduction: 2, tensor: act }];
  let x = pooled;
  let channels = stem;
  STAGE_REPEATS.forEach((repeats, s) => {
    const out = rest[s] as number;
    for (let i = 0; i < repeats; i++) {
      x = shuffleNetV2Unit({ name: `stage${s + 2}.${i}`, inChannels: channels, outChannels: out, strides: i === 0 ? 2 : 1, padding: options.padding, epsilon: options.bnEpsilon })(x);
      channels = out;
    }
    if (s < 2) taps.push({ name: `stage${s + 2}.${repeats - 1}`, channels: out, reduction: 2 ** (s + 3), tensor: x });
  });
  x = convBnAct({ name: 'conv5', filters: rest[3], kernelSize: 1, padding: options.padding, epsilon: options.bnEpsilon })(x);
  taps.push({ name: 'conv5.2', channels: rest[3], reduction: 32, tensor: x });
  return { output: x, taps };
}

const row = (widths: ShuffleNetV2Config['widths'], totalParams: number, trainableParams: number, macs: number) => ({
  config: { widths },
  inputSize: 224,
  reference: { totalParams, trainableParams, macs },
});

export const shuffleNetV2: FamilyDefinition<ShuffleNetV2Config> = {
  family: 'shufflenet_v2',
  paper: { title: 'ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design', url: 'https://arxiv.org/abs/1807.11164' },
  weights: 'torchvision',
  preprocessing: TORCHVISION_V1,
  bnEpsilon: 1e-5,
  minInputSize: () => 32,
  backbone: shuffleNetV2Backbone,
  variants: {
    shufflenet_v2_x0_5: row([24, 48, 96, 192, 1024], 1_374_744, 1_366_792, 40.5e6),
    shufflenet_v2_x1_0: row([24, 116, 232, 464, 1024], 2_294_784, 2_278_604, 144.9e6),
    // torchvision's only weights for x1.5 and x2.0 (IMAGENET1K_V1) resize to 232.
    shufflenet_v2_x1_5: { ...row([24, 176, 352, 704, 1024], 3_527_064, 3_503_624, 295.8e6), preprocessing: { crop: { resize: 232, size: 224, interpolation: 'bilinear' } } },
    shufflenet_v2_x2_0: { ...row([24, 244, 488, 976, 2048], 7_427_712, 7_393_996, 583.3e6), preprocessing: { crop: { resize: 232, size: 224, interpolation: 'bilinear' } } },
  },
};
