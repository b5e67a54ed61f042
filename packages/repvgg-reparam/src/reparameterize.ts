import type * as tf from '@tensorflow/tfjs';
import { convBatchNormRule } from './conv-bn-rule.js';
import { reparameterizeWith } from './reparameterizable.js';
import { repvggRule } from './repvgg-rule.js';

/**
 * The deploy form of a model with RepVGG blocks: a NEW model in which every RepVGG block (found by
 * its graph: BN branches of one input summed by an Add, see `repvggRule`) is one 3x3 conv with bias,
 * `${block}.rbr_reparam`, and everything else is copied with its weights. The same function in
 * inference mode (BatchNorm with its moving statistics); the original is untouched.
 */
export function reparameterize(model: tf.LayersModel): tf.LayersModel {
  return reparameterizeWith(model, [repvggRule]);
}

/**
 * A NEW model in which every conv (Conv2D, DepthwiseConv2D, GroupConv2D, no activation) followed by
 * a BatchNormalization that is its only consumer is one conv with bias under the conv's name; the
 * same function in inference mode. The original is untouched.
 */
export function foldConvBatchNorm(model: tf.LayersModel): tf.LayersModel {
  return reparameterizeWith(model, [convBatchNormRule]);
}
