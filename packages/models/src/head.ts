import * as tf from '@tensorflow/tfjs';
import type { FamilyDefinition, ResolvedModelOptions } from './types.js';

/** Global average or max pooling with a deterministic name. */
export function globalPool(x: tf.SymbolicTensor, kind: 'avg' | 'max', name = 'global_pool'): tf.SymbolicTensor {
  const layer = kind === 'avg' ? tf.layers.globalAveragePooling2d({ name }) : tf.layers.globalMaxPooling2d({ name });
  return layer.apply(x) as tf.SymbolicTensor;
}

/** Names of a pooled classifier's layers, as the reference implementation names them. */
export interface ClassifierNames {
  pool: string;
  dropout: string;
  fc: string;
  /** The dense layer's bias. Default true (megvii's ShuffleNet V1 has none). */
  useBias?: boolean;
}

/** The usual classifier: global average pool -> dropout (when `dropRate` > 0) -> dense to the classes. */
export function pooledClassifier(names: ClassifierNames): NonNullable<FamilyDefinition<unknown>['classifier']> {
  return (x: tf.SymbolicTensor, _config: unknown, options: ResolvedModelOptions) => {
    let y = globalPool(x, 'avg', names.pool);
    if (options.dropRate > 0) y = tf.layers.dropout({ rate: options.dropRate, name: names.dropout }).apply(y) as tf.SymbolicTensor;
    return tf.layers.dense({ units: options.numClasses, useBias: names.useBias ?? true, name: names.fc }).apply(y) as tf.SymbolicTensor;
  };
}

/** torchvision's ResNet names (`avgpool`, `fc`): the classifier of a family that defines none. */
export const defaultClassifier = pooledClassifier({ pool: 'avgpool', dropout: 'head_drop', fc: 'fc' });
