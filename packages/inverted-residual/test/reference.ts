import * as tf from '@tensorflow/tfjs';
import { spreadTaps } from '@netblocks/test-utils';

/** Gives every BatchNormalization layer of `model` non-trivial statistics, as a trained network has. */
export function randomizeBatchNorms(model: tf.LayersModel, seed: number): void {
  model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .forEach((layer, i) => {
      const c = layer.getWeights()[0]?.shape[0] as number;
      const s = seed + 10 * i;
      layer.setWeights([
        tf.randomUniform([c], 0.5, 1.5, 'float32', s),
        tf.randomNormal([c], 0, 0.5, 'float32', s + 1),
        tf.randomNormal([c], 0, 0.5, 'float32', s + 2),
        tf.randomUniform([c], 0.5, 2, 'float32', s + 3),
      ]);
    });
}

/** Random values in every weight of the layers named (SE biases start at zero otherwise). */
export function randomizeWeights(model: tf.LayersModel, names: string[], seed: number): void {
  names.forEach((name, i) => {
    const layer = model.getLayer(name);
    layer.setWeights(layer.getWeights().map((w, j) => tf.randomNormal(w.shape, 0, 0.3, 'float32', seed + 10 * i + j)));
  });
}

/** The weights of a block, by full layer name then position, as tensors a reference can differentiate. */
export type WeightsByLayer = Record<string, tf.Tensor[]>;

export function weightsOf(model: tf.LayersModel, names: string[]): WeightsByLayer {
  return Object.fromEntries(names.map((n) => [n, model.getLayer(n).getWeights()]));
}

export interface ReferenceBlock {
  /** Full layer names, in the roles the reference needs. */
  expandConv?: string;
  expandBn?: string;
  dwConv: string;
  dwBn: string;
  se?: string;
  projectConv: string;
  projectBn: string;
  kernelSize: number;
  strides: number;
  /** Dilation of the depthwise conv, computed as an undilated conv with the spread kernel. Default 1. */
  dilation?: number;
  activation: (t: tf.Tensor) => tf.Tensor;
  seActivation?: (t: tf.Tensor) => tf.Tensor;
  residual: boolean;
  epsilon: number;
}

/**
 * The inverted residual written out with plain tf ops (MobileNetV2 fig. 3b / table 1, MBConv):
 * explicit symmetric padding, unfused convs, batchNorm from its four statistics, the SE from
 * sum / matMul / sigmoid. Inference form (no drop path).
 */
export function referenceBlock(x: tf.Tensor4D, w: WeightsByLayer, b: ReferenceBlock): tf.Tensor4D {
  const get = (name: string, i: number) => (w[name] as tf.Tensor[])[i] as tf.Tensor;
  const bn = (y: tf.Tensor, name: string) =>
    tf.batchNorm(y, get(name, 2) as tf.Tensor1D, get(name, 3) as tf.Tensor1D, get(name, 1) as tf.Tensor1D, get(name, 0) as tf.Tensor1D, b.epsilon);
  let y: tf.Tensor = x;
  if (b.expandConv && b.expandBn) y = b.activation(bn(tf.conv2d(y as tf.Tensor4D, get(b.expandConv, 0) as tf.Tensor4D, 1, 'valid'), b.expandBn));
  const d = b.dilation ?? 1;
  const p = (d * (b.kernelSize - 1)) / 2;
  const padded = tf.pad(y as tf.Tensor4D, [[0, 0], [p, p], [p, p], [0, 0]]);
  const dwKernel = d === 1 ? (get(b.dwConv, 0) as tf.Tensor4D) : spreadTaps(get(b.dwConv, 0) as tf.Tensor4D, d);
  y = b.activation(bn(tf.depthwiseConv2d(padded, dwKernel, b.strides, 'valid'), b.dwBn));
  if (b.se) {
    const [n, h, wd, c] = y.shape as [number, number, number, number];
    const pooled = tf.div(tf.sum(y, [1, 2]), h * wd) as tf.Tensor2D;
    const w1 = get(b.se, 0).reshape([c, -1]) as tf.Tensor2D;
    const w2 = get(b.se, 2).reshape([-1, c]) as tf.Tensor2D;
    const hidden = (b.seActivation ?? b.activation)(tf.add(tf.matMul(pooled, w1), get(b.se, 1))) as tf.Tensor2D;
    const gate = tf.sigmoid(tf.add(tf.matMul(hidden, w2), get(b.se, 3)));
    y = tf.mul(y, tf.reshape(gate, [n, 1, 1, c]));
  }
  y = bn(tf.conv2d(y as tf.Tensor4D, get(b.projectConv, 0) as tf.Tensor4D, 1, 'valid'), b.projectBn);
  return (b.residual ? tf.add(y, x) : y) as tf.Tensor4D;
}

export const swish = (t: tf.Tensor): tf.Tensor => tf.mul(t, tf.sigmoid(t));
export const relu6 = (t: tf.Tensor): tf.Tensor => tf.minimum(tf.relu(t), 6);

