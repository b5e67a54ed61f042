import * as tf from '@tensorflow/tfjs';
import { expectNoLeakedTensors, useBackend } from '@netblocks/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/register.js';
import { values } from './helpers.js';

useBackend('wasm');

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/** A small MobileNet-like net: a dense 3x3 conv, a strided depthwise conv with multiplier 2, a 1x1 conv. */
function smallNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, padding: 'same', activation: 'relu', depthwiseInitializer: init(2) }),
      tf.layers.conv2d({ filters: 8, kernelSize: 1, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
}

/** 32 images whose class is whether their first channel is brighter on average than their second. */
function dataset(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(32 * 8 * 8 * 3, 5), [32, 8, 8, 3]);
    const means = tf.mean(x, [1, 2]);
    const first = tf.slice(means, [0, 0], [32, 1]);
    const second = tf.slice(means, [0, 1], [32, 1]);
    return { x, y: tf.oneHot(tf.cast(tf.reshape(tf.greater(first, second), [32]), 'int32'), 2) as tf.Tensor2D };
  });
}

describe('training on wasm', () => {
  beforeAll(() => expect(tf.getBackend()).toBe('wasm'));

  it('model.fit of a conv net with depthwise layers runs and its loss drops', async () => {
    const model = smallNet();
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const { x, y } = dataset();
    const history = await model.fit(x, y, { epochs: 15, batchSize: 16, shuffle: false, verbose: 0 });
    const losses = history.history['loss'] as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1) as number).toBeLessThan(0.7 * (losses[0] as number));
    model.dispose();
    tf.dispose([x, y]);
  });

  it('leaks no tensors and no wasm buffers across gradient steps', () => {
    const backend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
    const x = tf.tensor4d(values(2 * 9 * 9 * 4, 6), [2, 9, 9, 4]);
    const dense = tf.tensor4d(values(3 * 3 * 4 * 5, 7), [3, 3, 4, 5]);
    const depthwise = tf.tensor4d(values(3 * 3 * 4 * 2, 8), [3, 3, 4, 2]);
    const step = () =>
      tf.grads((a: tf.Tensor, f: tf.Tensor, d: tf.Tensor) =>
        tf.add(tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'))), tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, d as tf.Tensor4D, 2, 'valid'))),
      )([x, dense, depthwise]);
    tf.dispose(step());
    const buffers = backend.numDataIds();
    for (let i = 0; i < 3; i++) expectNoLeakedTensors(step);
    expect(backend.numDataIds()).toBe(buffers);
    tf.dispose([x, dense, depthwise]);
  });
});
