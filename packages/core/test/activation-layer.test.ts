import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectLayerRoundTrip, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { ActivationLayer } from '../src/layers/activation-layer.js';
import '../src/register.js';

useBackend('cpu');

describe('ActivationLayer', () => {
  it.each(['relu', 'relu6', 'swish', 'sigmoid', 'hardSigmoid', 'gelu', 'tanh', 'elu', 'linear'] as const)(
    '%s computes what tf.layers.activation of the same name computes',
    (activation) => {
      const x = tf.mul(tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 2), 4);
      const ours = new ActivationLayer({ activation });
      const stock = tf.layers.activation({ activation: activation as never });
      tf.tidy(() => expectTensorsClose(ours.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor, 1e-6));
      expectLayerRoundTrip(ours, x);
      x.dispose();
    },
  );

  it('runs relu6 as one kernel and swish as two', async () => {
    const x = tf.randomNormal([1, 4, 4, 2]);
    for (const [activation, kernels] of [['relu6', 1], ['swish', 2]] as const) {
      const layer = new ActivationLayer({ activation });
      const info = await tf.profile(() => layer.apply(x) as tf.Tensor);
      expect(info.kernels.length, activation).toBe(kernels);
    }
    x.dispose();
  });

  it('rejects an unknown activation, naming it', () => {
    expect(() => new ActivationLayer({ activation: 'mish' as never })).toThrow(/activation="mish"/);
  });
});
