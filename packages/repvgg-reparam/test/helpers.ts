import * as tf from '@tensorflow/tfjs';
import { batchNormParamsOf, type BatchNormParams } from '@netblocks/core';
import { spreadTaps } from '@netblocks/test-utils';
import { repvggBlock } from '../src/repvgg-block.js';

/**
 * Gives every BatchNormalization of `model` non-trivial statistics (seeded): gamma in [0.5, 1.5],
 * beta in [-0.5, 0.5], moving mean in [-0.5, 0.5], moving variance in [0.5, 2]. With gamma = 1,
 * beta = mean = 0 and var = 1 a wrong fold would go unnoticed.
 */
export function randomizeBatchNorms(model: tf.LayersModel, seed = 1): void {
  let s = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const n = layer.getWeights()[0]?.shape[0] as number;
    const values = tf.tidy(() => [
      tf.randomUniform([n], 0.5, 1.5, 'float32', s++),
      tf.randomUniform([n], -0.5, 0.5, 'float32', s++),
      tf.randomUniform([n], -0.5, 0.5, 'float32', s++),
      tf.randomUniform([n], 0.5, 2, 'float32', s++),
    ]);
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Weight-free input -> one RepVGG block -> output model. */
export function blockModel(args: Parameters<typeof repvggBlock>[0], size = 8): tf.LayersModel {
  const input = tf.input({ shape: [size, size, args.inChannels], name: 'input' });
  return tf.model({ inputs: input, outputs: repvggBlock(args)(input) });
}

/** `BN(y)` in inference mode, written out: `(y - mean) / sqrt(var + eps) * gamma + beta`. */
export function naiveBatchNorm(y: tf.Tensor, bn: BatchNormParams): tf.Tensor {
  const normalized = tf.div(tf.sub(y, bn.movingMean), tf.sqrt(tf.add(bn.movingVariance, bn.epsilon)));
  return tf.add(tf.mul(normalized, bn.gamma ?? 1), bn.beta ?? 0);
}

/** A grouped conv as the definition says: each group's input slice convolved with its own filters,
 * concatenated; symmetric zero padding `pad` (PyTorch's `padding=pad`). */
export function naiveGroupConv(x: tf.Tensor4D, kernel: tf.Tensor4D, groups: number, strides: number, pad: number): tf.Tensor4D {
  const [, , cg, cout] = kernel.shape;
  const og = cout / groups;
  const outs: tf.Tensor4D[] = [];
  for (let g = 0; g < groups; g++) {
    const xg = tf.slice(x, [0, 0, 0, g * cg], [-1, -1, -1, cg]);
    const kg = tf.slice(kernel, [0, 0, 0, g * og], [-1, -1, -1, og]);
    outs.push(tf.conv2d(xg, kg, strides, [[0, 0], [pad, pad], [pad, pad], [0, 0]]));
  }
  return outs.length === 1 ? (outs[0] as tf.Tensor4D) : tf.concat(outs, 3);
}

/** The training-form block in inference mode from its layers' weights, written out branch by branch
 * (a dilated 3x3 as the undilated conv with the spread kernel, padded `dilation`). `spreadDense`
 * replaces that spread kernel (a tensor to differentiate with respect to). */
export function naiveRepVGGBlock(model: tf.LayersModel, name: string, x: tf.Tensor4D, groups: number, strides: number, dilation = 1, spreadDense?: tf.Tensor4D): tf.Tensor {
  const kernelOf = (layer: string) => model.getLayer(layer).getWeights()[0] as tf.Tensor4D;
  const bnOf = (layer: string) => batchNormParamsOf(model.getLayer(layer));
  const dense = spreadDense ?? (dilation === 1 ? kernelOf(`${name}.rbr_dense.conv`) : spreadTaps(kernelOf(`${name}.rbr_dense.conv`), dilation));
  let sum = tf.add(
    naiveBatchNorm(naiveGroupConv(x, dense, groups, strides, dilation), bnOf(`${name}.rbr_dense.bn`)),
    naiveBatchNorm(naiveGroupConv(x, kernelOf(`${name}.rbr_1x1.conv`), groups, strides, 0), bnOf(`${name}.rbr_1x1.bn`)),
  );
  if (model.layers.some((l) => l.name === `${name}.rbr_identity`)) sum = tf.add(sum, naiveBatchNorm(x, bnOf(`${name}.rbr_identity`)));
  return tf.relu(sum);
}
