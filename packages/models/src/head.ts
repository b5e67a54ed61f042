import * as tf from '@tensorflow/tfjs';
import type { ResolvedModelOptions } from './types.js';

/** Global average or max pooling with a deterministic name. */
export function globalPool(x: tf.SymbolicTensor, kind: 'avg' | 'max', name = 'global_pool'): tf.SymbolicTensor {
  const layer = kind === 'avg' ? tf.layers.globalAveragePooling2d({ name }) : tf.layers.globalMaxPooling2d({ name });
  return layer.apply(x) as tf.SymbolicTensor;
}

/** The usual classifier: global average pool -> dropout -> dense (`fcName`), as timm and torchvision do. */
export function poolDropoutDense(x: tf.SymbolicTensor, options: ResolvedModelOptions, fcName = 'fc', useBias = true): tf.SymbolicTensor {
  let y = globalPool(x, 'avg');
  if (options.dropRate > 0) y = tf.layers.dropout({ rate: options.dropRate, name: 'head_drop' }).apply(y) as tf.SymbolicTensor;
  return tf.layers.dense({ units: options.numClasses, useBias, name: fcName }).apply(y) as tf.SymbolicTensor;
}
