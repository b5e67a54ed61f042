import * as tf from '@tensorflow/tfjs';
import { repvggBlock } from '../src/repvgg-block.js';

/** A RepVGG variant as the official code defines it (REFERENCE.md's RepVGG table). */
export interface RepVGGVariant {
  /** Blocks per stage, stage0 included: A [1, 2, 4, 14, 1], B [1, 4, 6, 16, 1]. */
  blocks: readonly [number, number, number, number, number];
  /** Width multiplier a of stages 1-3 (and of stage0, capped at 64 channels). */
  a: number;
  /** Width multiplier b of stage 4. */
  b: number;
  /** Groups of the 3x3 and 1x1 convs at these global block indices (stage0's block is 0). */
  groupsAt?: ReadonlyMap<number, number>;
}

export const REPVGG_A0: RepVGGVariant = { blocks: [1, 2, 4, 14, 1], a: 0.75, b: 2.5 };
/** g4 on the official `optional_groupwise_layers` 2, 4, ..., 26. */
export const REPVGG_B1G4: RepVGGVariant = {
  blocks: [1, 4, 6, 16, 1],
  a: 2,
  b: 4,
  groupsAt: new Map(Array.from({ length: 13 }, (_, i) => [2 * (i + 1), 4] as const)),
};

/**
 * The RepVGG classifier from `repvggBlock`: stage0 (one stride-2 block, `min(64, 64a)` channels),
 * stages 1-4 (64a, 128a, 256a, 512b; first block stride 2), global average pool, `linear` (1000).
 * Layer names follow the official code: `stage0`, `stage1.0`, ..., `linear`.
 */
export function repvggNet(variant: RepVGGVariant, inputSize: number, deploy = false): tf.LayersModel {
  const { blocks, a, b } = variant;
  const widths = [Math.min(64, Math.floor(64 * a)), Math.floor(64 * a), Math.floor(128 * a), Math.floor(256 * a), Math.floor(512 * b)];
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  let x = input;
  let inChannels = 3;
  let index = 0;
  blocks.forEach((count, stage) => {
    for (let i = 0; i < count; i++) {
      const outChannels = widths[stage] as number;
      const name = stage === 0 ? 'stage0' : `stage${stage}.${i}`;
      const groups = variant.groupsAt?.get(index) ?? 1;
      x = repvggBlock({ name, inChannels, outChannels, strides: i === 0 ? 2 : 1, groups, deploy })(x);
      inChannels = outChannels;
      index++;
    }
  });
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 1000, name: 'linear' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'repvgg' });
}
