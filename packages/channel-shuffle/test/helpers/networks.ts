// Whole networks built from the units, in their reference layouts, for the parameter and MACs
// checks. (The model family itself belongs to @netblocks/models.)
import * as tf from '@tensorflow/tfjs';
import { convBnAct } from '@netblocks/core';
import { shuffleNetV1Unit } from '../../src/shufflenet-v1-unit.js';
import { shuffleNetV2Unit } from '../../src/shufflenet-v2-unit.js';

const STAGE_REPEATS = [4, 8, 4] as const;

/** PyTorch's MaxPool2d(3, 2, 1) after a ReLU: zero padding equals its -inf padding there. */
function maxPool(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const padded = tf.layers.zeroPadding2d({ name: `${name}.pad`, padding: [[1, 1], [1, 1]] }).apply(x);
  return tf.layers.maxPooling2d({ name, poolSize: 3, strides: 2, padding: 'valid' }).apply(padded) as tf.SymbolicTensor;
}

/** torchvision's ShuffleNetV2 with `widths` = [stem, stage2, stage3, stage4, conv5]. */
export function buildShuffleNetV2(widths: readonly number[], inputSize = 224, numClasses = 1000): tf.LayersModel {
  const [stem = 24, ...rest] = widths;
  const input = tf.input({ name: 'input', shape: [inputSize, inputSize, 3] });
  let x = convBnAct({ name: 'conv1', filters: stem, kernelSize: 3, strides: 2 })(input);
  x = maxPool(x, 'maxpool');
  let channels = stem;
  STAGE_REPEATS.forEach((repeats, stage) => {
    const out = rest[stage] as number;
    for (let i = 0; i < repeats; i++) {
      x = shuffleNetV2Unit({ name: `stage${stage + 2}.${i}`, inChannels: channels, outChannels: out, strides: i === 0 ? 2 : 1 })(x);
      channels = out;
    }
  });
  x = convBnAct({ name: 'conv5', filters: rest[3] as number, kernelSize: 1 })(x);
  x = tf.layers.globalAveragePooling2d({ name: 'globalpool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ name: 'fc', units: numClasses }).apply(x) as tf.SymbolicTensor;
  return tf.model({ name: 'shufflenet_v2', inputs: input, outputs: logits });
}

/** megvii's ShuffleNetV1 with `groups`, stem width and stage widths; classifier without bias. */
export function buildShuffleNetV1(
  groups: number,
  stem: number,
  stageWidths: readonly number[],
  inputSize = 224,
  numClasses = 1000,
): tf.LayersModel {
  const input = tf.input({ name: 'input', shape: [inputSize, inputSize, 3] });
  let x = convBnAct({ name: 'first_conv', filters: stem, kernelSize: 3, strides: 2 })(input);
  x = maxPool(x, 'maxpool');
  let channels = stem;
  let index = 0;
  STAGE_REPEATS.forEach((repeats, stage) => {
    const out = stageWidths[stage] as number;
    for (let i = 0; i < repeats; i++) {
      x = shuffleNetV1Unit({
        name: `features.${index++}`,
        inChannels: channels,
        outChannels: out,
        groups,
        strides: i === 0 ? 2 : 1,
        firstGroupUngrouped: stage === 0 && i === 0,
      })(x);
      channels = out;
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'globalpool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ name: 'classifier.0', units: numClasses, useBias: false }).apply(x) as tf.SymbolicTensor;
  return tf.model({ name: 'shufflenet_v1', inputs: input, outputs: logits });
}
