import * as tf from '@tensorflow/tfjs';
import { convOutputLength } from '@netblocks/core';
import type { Backbone, FamilyDefinition, ResolvedModelOptions } from '../types.js';
import { TORCHVISION_V1 } from '../weights/preprocessing.js';

/** A Fire module: squeeze 1x1 -> ReLU, then expand 1x1 and expand 3x3 (each + ReLU), concatenated. */
type Fire = readonly [squeeze: number, expand1x1: number, expand3x3: number];

/** torchvision's `features`: the stem conv, then Fire modules and 'M' (3x3/2 max-pools in ceil mode). */
export interface SqueezeNetConfig {
  stem: { filters: number; kernelSize: number };
  layers: readonly (Fire | 'M')[];
}

function apply(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/**
 * PyTorch's `MaxPool2d(3, 2, ceil_mode=True)` (REFERENCE.md trap 3): the output length is rounded up,
 * so pad the bottom/right just enough for `valid` pooling to produce it. Zeros stand in for PyTorch's
 * -inf: the input follows a ReLU.
 */
function ceilMaxPool(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const [, h, w] = x.shape as [null, number, number, number];
  const extra = (len: number) => (convOutputLength(len, 3, 2, 'valid', 1, true) - 1) * 2 + 3 - len;
  const [eh, ew] = [extra(h), extra(w)];
  const padded = eh > 0 || ew > 0 ? apply(tf.layers.zeroPadding2d({ padding: [[0, eh], [0, ew]], name: `${name}.pad` }), x) : x;
  return apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name }), padded);
}

function fire(x: tf.SymbolicTensor, [squeeze, e1, e3]: Fire, name: string, options: ResolvedModelOptions): tf.SymbolicTensor {
  const conv = (filters: number, kernelSize: number, n: string, input: tf.SymbolicTensor) => {
    const torch = options.padding === 'torch' && kernelSize > 1;
    const padded = torch ? apply(tf.layers.zeroPadding2d({ padding: 1, name: `${name}.${n}.pad` }), input) : input;
    const y = apply(tf.layers.conv2d({ filters, kernelSize, padding: kernelSize > 1 && !torch ? 'same' : 'valid', name: `${name}.${n}` }), padded);
    return apply(tf.layers.reLU({ name: `${name}.${n}_activation` }), y);
  };
  const s = conv(squeeze, 1, 'squeeze', x);
  return apply(tf.layers.concatenate({ axis: -1, name: `${name}.concat` }), [conv(e1, 1, 'expand1x1', s), conv(e3, 3, 'expand3x3', s)]);
}

export function squeezenetBackbone(input: tf.SymbolicTensor, config: SqueezeNetConfig, options: ResolvedModelOptions): Backbone {
  let x = apply(tf.layers.conv2d({ filters: config.stem.filters, kernelSize: config.stem.kernelSize, strides: 2, name: 'features.0' }), input);
  x = apply(tf.layers.reLU({ name: 'features.1' }), x);
  const taps: Backbone['taps'] = [];
  let channels = config.stem.filters;
  let reduction = 2;
  let last = 'features.1';
  config.layers.forEach((item, i) => {
    const name = `features.${i + 2}`;
    if (item === 'M') {
      taps.push({ name: last, channels, reduction, tensor: x });
      x = ceilMaxPool(x, name);
      reduction *= 2;
    } else {
      x = fire(x, item, name, options);
      channels = item[1] + item[2];
      last = `${name}.concat`;
    }
  });
  taps.push({ name: last, channels, reduction, tensor: x });
  return { output: x, taps };
}

/** torchvision's classifier: dropout -> 1x1 conv to the classes -> ReLU -> global average pool. */
function squeezenetClassifier(x: tf.SymbolicTensor, _config: SqueezeNetConfig, options: ResolvedModelOptions): tf.SymbolicTensor {
  let y = x;
  if (options.dropRate > 0) y = apply(tf.layers.dropout({ rate: options.dropRate, name: 'classifier.0' }), y);
  y = apply(tf.layers.conv2d({ filters: options.numClasses, kernelSize: 1, name: 'classifier.1' }), y);
  y = apply(tf.layers.reLU({ name: 'classifier.2' }), y);
  return apply(tf.layers.globalAveragePooling2d({ name: 'classifier.3' }), y);
}

const F = (squeeze: number, expand: number): Fire => [squeeze, expand, expand];

export const squeezenet: FamilyDefinition<SqueezeNetConfig> = {
  family: 'squeezenet',
  paper: { title: 'SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size', url: 'https://arxiv.org/abs/1602.07360' },
  weights: 'torchvision',
  preprocessing: TORCHVISION_V1,
  bnEpsilon: 1e-5,
  minInputSize: (config) => (config.stem.kernelSize === 7 ? 47 : 39),
  backbone: squeezenetBackbone,
  classifier: squeezenetClassifier,
  variants: {
    squeezenet1_0: {
      config: { stem: { filters: 96, kernelSize: 7 }, layers: ['M', F(16, 64), F(16, 64), F(32, 128), 'M', F(32, 128), F(48, 192), F(48, 192), F(64, 256), 'M', F(64, 256)] },
      inputSize: 224,
      dropRate: 0.5,
      reference: { totalParams: 1_248_424, trainableParams: 1_248_424, macs: 818.9e6 },
    },
    squeezenet1_1: {
      config: { stem: { filters: 64, kernelSize: 3 }, layers: ['M', F(16, 64), F(16, 64), 'M', F(32, 128), F(32, 128), 'M', F(48, 192), F(48, 192), F(64, 256), F(64, 256)] },
      inputSize: 224,
      dropRate: 0.5,
      reference: { totalParams: 1_235_496, trainableParams: 1_235_496, macs: 349.2e6 },
    },
  },
};
