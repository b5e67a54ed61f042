import type * as tf from '@tensorflow/tfjs';
import type { NetblocksModel } from '../build.js';
import { rewriteModel } from '@netblocks/core';
import { asRewriteRule, repvggRule } from '@netblocks/repvgg-reparam';
import { activationRule } from './activation-rule.js';
import { convChainRule } from './conv-chain-rule.js';
import { denseChainRule } from './dense-chain-rule.js';
import { identityRule } from './identity-rule.js';
import { channelDenseRule, layerNormRule } from './last-axis-rules.js';
import { separableChainRule } from './separable-chain-rule.js';

/**
 * A NEW model that computes what `model` computes in inference mode, faster: RepVGG blocks merged
 * into one 3x3 conv; Dropout, stochastic depth and no-op reshapes dropped; every conv / depthwise /
 * grouped conv with the ZeroPadding2D before it, the BatchNorm after it and the activation after
 * that as one fused TF.js kernel (`FusedConv2D`, or a `GroupConv2D` with bias and activation);
 * separable convs and Dense layers with their BatchNorm folded; the remaining relu6 / swish layers in fewer kernels;
 * LayerNormalization over the last axis and Dense on rank >= 3 inputs (the Mixer's) as mlp-mixer's
 * `LayerNorm` and `ChannelDense`, the same functions in kernels that wasm runs faster.
 * Layer names are kept (a fused layer takes its conv's). `model` is untouched; the result shares no
 * weights with it, and saves and loads like any model (import `@netblocks/models/register`).
 * Training it is possible but not meaningful: its BatchNorms are gone.
 */
export function optimizeForInference(model: NetblocksModel): NetblocksModel;
export function optimizeForInference(model: tf.LayersModel): tf.LayersModel;
export function optimizeForInference(model: tf.LayersModel): tf.LayersModel {
  // Pass 1 merges RepVGG's branches (into a conv with bias that pass 2 fuses with its ReLU).
  const merged = rewriteModel(model, [asRewriteRule(repvggRule), identityRule]);
  const fused = rewriteModel(merged, [convChainRule, separableChainRule, denseChainRule, activationRule, layerNormRule, channelDenseRule]);
  merged.dispose();
  // createModel's metadata describes the outputs, which are the same.
  const { featureInfo, numFeatures } = model as Partial<NetblocksModel>;
  if (featureInfo !== undefined) Object.assign(fused, { featureInfo, numFeatures });
  return fused;
}
