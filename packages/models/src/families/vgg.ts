import * as tf from '@tensorflow/tfjs';
import { batchNorm, torchPad } from '@netblocks/core';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { TORCHVISION_V1 } from '../weights/preprocessing.js';

/** A VGG configuration: conv widths, 'M' for a 2x2 max-pool (Simonyan & Zisserman, Table 1). */
export interface VggConfig {
  layers: readonly (number | 'M')[];
  batchNorm: boolean;
}

const D = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const;
const E = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'] as const;

/** torchvision's `features` Sequential: each conv (+ BN) + ReLU and each pool takes the next index. */
export function vggBackbone(input: tf.SymbolicTensor, config: VggConfig, options: ResolvedModelOptions): Backbone {
  const torch = options.padding === 'torch';
  const taps: Backbone['taps'] = [];
  let x = input;
  let index = 0;
  let channels = 0;
  let reduction = 1;
  const apply = (layer: tf.layers.Layer) => {
    x = layer.apply(x) as tf.SymbolicTensor;
  };
  for (const item of config.layers) {
    if (item === 'M') {
      taps.push({ name: `features.${index - 1}`, channels, reduction, tensor: x });
      apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `features.${index++}` }));
      reduction *= 2;
      continue;
    }
    const name = `features.${index++}`;
    if (torch) x = torchPad(`${name}.pad`, 3)(x);
    apply(tf.layers.conv2d({ filters: item, kernelSize: 3, padding: torch ? 'valid' : 'same', name }));
    if (config.batchNorm) apply(batchNorm(`features.${index++}`, { epsilon: options.bnEpsilon }));
    apply(tf.layers.reLU({ name: `features.${index++}` }));
    channels = item;
  }
  return { output: x, taps };
}

/**
 * torchvision's classifier: flatten the 7x7x512 map -> 4096 -> ReLU -> dropout -> 4096 -> ReLU ->
 * dropout -> classes. TF.js flattens NHWC where PyTorch flattens NCHW: imported `classifier.0`
 * weights are permuted accordingly (REFERENCE.md trap 5).
 */
function vggClassifier(x: tf.SymbolicTensor, _config: VggConfig, options: ResolvedModelOptions): tf.SymbolicTensor {
  const [, h, w] = x.shape;
  if (h !== 7 || w !== 7) {
    const [ih, iw] = options.inputShape;
    throw new Error(`createModel: VGG's classifier takes only a 224x224 input (got inputShape ${ih}x${iw}); use includeTop: false for other sizes`);
  }
  let y = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const dense = (units: number, name: string) => {
    y = tf.layers.dense({ units, name }).apply(y) as tf.SymbolicTensor;
  };
  for (const i of [0, 3]) {
    dense(4096, `classifier.${i}`);
    y = tf.layers.reLU({ name: `classifier.${i + 1}` }).apply(y) as tf.SymbolicTensor;
    if (options.dropRate > 0) y = tf.layers.dropout({ rate: options.dropRate, name: `classifier.${i + 2}` }).apply(y) as tf.SymbolicTensor;
  }
  dense(options.numClasses, 'classifier.6');
  return y;
}

export const vgg: FamilyDefinition<VggConfig> = {
  family: 'vgg',
  paper: { title: 'Very Deep Convolutional Networks for Large-Scale Image Recognition', url: 'https://arxiv.org/abs/1409.1556' },
  weights: 'torchvision',
  preprocessing: TORCHVISION_V1,
  bnEpsilon: 1e-5,
  minInputSize: () => 32,
  topInputSize: 224,
  backbone: vggBackbone,
  classifier: vggClassifier,
  variants: {
    vgg16: { config: { layers: D, batchNorm: false }, inputSize: 224, dropRate: 0.5, reference: { totalParams: 138_357_544, trainableParams: 138_357_544, macs: 15.47e9 } },
    vgg16_bn: { config: { layers: D, batchNorm: true }, inputSize: 224, dropRate: 0.5, reference: { totalParams: 138_374_440, trainableParams: 138_365_992 } },
    vgg19: { config: { layers: E, batchNorm: false }, inputSize: 224, dropRate: 0.5, reference: { totalParams: 143_667_240, trainableParams: 143_667_240, macs: 19.632e9 } },
  },
};
