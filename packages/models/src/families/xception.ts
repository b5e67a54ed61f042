import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm } from '@netblocks/core';
import { NetblocksSeparableConv2D, xceptionBlock, type XceptionBlockArgs } from '@netblocks/depthwise-sep';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { timmPreprocessing } from '../weights/preprocessing.js';

/** Xception has one configuration; the table below is its flows (Chollet, fig. 5). */
export type XceptionConfig = Record<string, never>;

/** Entry flow blocks 1-3, middle flow blocks 4-11, exit flow block 12 (timm's legacy_xception). */
const BLOCKS: readonly Omit<XceptionBlockArgs, 'name'>[] = [
  { filters: 128, reps: 2, strides: 2, startWithRelu: false },
  { filters: 256, reps: 2, strides: 2 },
  { filters: 728, reps: 2, strides: 2 },
  ...Array.from({ length: 8 }, () => ({ filters: 728, reps: 3 })),
  { filters: 1024, reps: 2, strides: 2, growFirst: false },
];

/** Feature maps at the strides timm's legacy_xception reports (it taps the ReLU that opens the next
 * block; these are the block outputs before it): act2, block1, block2, block11, act4. */
const TAPS: Record<string, number> = { act2: 2, 'block1.add': 4, 'block2.add': 8, 'block11.add': 16, act4: 32 };

function apply(layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

export function xceptionBackbone(input: tf.SymbolicTensor, _config: XceptionConfig, options: ResolvedModelOptions): Backbone {
  const bn = (name: string) => batchNorm(name, { epsilon: options.bnEpsilon });
  const taps: Backbone['taps'] = [];
  const tap = (name: string, x: tf.SymbolicTensor) => {
    const reduction = TAPS[name];
    if (reduction !== undefined) taps.push({ name, channels: x.shape[3] as number, reduction, tensor: x });
    return x;
  };
  // The stem convs are unpadded in the reference: 299 -> 149 -> 147.
  let x = apply(tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, useBias: false, name: 'conv1' }), input);
  x = apply(activationLayer('relu', 'act1'), apply(bn('bn1'), x));
  x = apply(tf.layers.conv2d({ filters: 64, kernelSize: 3, useBias: false, name: 'conv2' }), x);
  x = tap('act2', apply(activationLayer('relu', 'act2'), apply(bn('bn2'), x)));
  BLOCKS.forEach((args, i) => {
    x = tap(`block${i + 1}.add`, xceptionBlock({ name: `block${i + 1}`, ...args, padding: options.padding, epsilon: options.bnEpsilon })(x));
  });
  for (const [i, filters] of [[3, 1536], [4, 2048]] as const) {
    x = apply(new NetblocksSeparableConv2D({ name: `conv${i}`, filters, kernelSize: 3, padding: options.padding }), x);
    x = tap(`act${i}`, apply(activationLayer('relu', `act${i}`), apply(bn(`bn${i}`), x)));
  }
  return { output: x, taps };
}

export const xception: FamilyDefinition<XceptionConfig> = {
  family: 'xception',
  paper: { title: 'Xception: Deep Learning with Depthwise Separable Convolutions', url: 'https://arxiv.org/abs/1610.02357' },
  weights: 'timm',
  // timm's legacy_xception.tf_in1k: mean/std 0.5, 299 px, crop_pct 0.8975, bicubic.
  preprocessing: timmPreprocessing(299, 0.8975, 'bicubic', 'inception', 'timm legacy_xception.tf_in1k'),
  bnEpsilon: 1e-5,
  minInputSize: () => 71,
  // No `supportsOutputStride`: timm's legacy_xception has no output_stride (only its aligned
  // Xception41/65/71, another architecture, does).
  backbone: xceptionBackbone,
  variants: {
    xception: { config: {}, inputSize: 299, reference: { totalParams: 22_910_480, trainableParams: 22_855_952, macs: 8.357e9 } },
  },
};
