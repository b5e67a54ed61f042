import * as tf from '@tensorflow/tfjs';
import {
  expectLayerRoundTrip,
  expectModelRoundTrip,
  expectNoLeakedTensors,
  expectTensorsClose,
  useBackend,
} from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { ChannelShuffle } from '../src/channel-shuffle-layer.js';
import { ChannelSlice } from '../src/channel-slice-layer.js';
import { channelShuffle } from '../src/op.js';
import '../src/register.js';

useBackend('cpu');

describe('ChannelShuffle', () => {
  it('applies channelShuffle with its groups and order, keeping the shape', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 4, 4, 12], 0, 1, 'float32', 3);
      for (const order of ['paper', 'megvii'] as const) {
        const layer = new ChannelShuffle({ groups: 3, order });
        const y = layer.apply(x) as tf.Tensor;
        expect(y.shape).toEqual([2, 4, 4, 12]);
        expectTensorsClose(y, channelShuffle(x, 3, order), 0);
      }
      expect(new ChannelShuffle({ groups: 2 }).computeOutputShape([null, 7, 7, 8])).toEqual([null, 7, 7, 8]);
    });
  });

  it('has no weights', () => {
    const layer = new ChannelShuffle({ groups: 4 });
    layer.apply(tf.input({ shape: [8, 8, 16] }));
    expect(layer.countParams()).toBe(0);
    expect(layer.weights).toEqual([]);
  });

  it('returns its resolved args from getConfig, defaults included', () => {
    expect(new ChannelShuffle({ name: 'probe', groups: 3, order: 'megvii' }).getConfig()).toMatchObject({
      name: 'probe',
      groups: 3,
      order: 'megvii',
    });
    expect(new ChannelShuffle({ groups: 2 }).getConfig()).toMatchObject({ groups: 2, order: 'paper' });
  });

  it('names the argument and the value in its errors', () => {
    expect(() => new ChannelShuffle({ groups: 0 })).toThrow('NetblocksChannelShuffle: `groups` must be a positive integer (got groups=0)');
    expect(() => new ChannelShuffle({ groups: 2, order: 'shuffled' as never })).toThrow('(got order="shuffled")');
    const layer = new ChannelShuffle({ name: 'shuffle3', groups: 3 });
    expect(() => layer.apply(tf.input({ shape: [4, 4, 10] }))).toThrow(
      'NetblocksChannelShuffle "shuffle3": `groups` must divide the channels (got channels=10, groups=3)',
    );
  });

  it('is registered under its prefixed className and survives a round trip', async () => {
    expect(ChannelShuffle.className).toBe('NetblocksChannelShuffle');
    const input = tf.randomNormal([1, 3, 3, 6], 0, 1, 'float32', 5);
    expectLayerRoundTrip(new ChannelShuffle({ groups: 3, order: 'megvii' }), input);
    const model = tf.sequential({ layers: [new ChannelShuffle({ inputShape: [3, 3, 6], groups: 2, order: 'megvii' })] });
    const loaded = await expectModelRoundTrip(model, input);
    expect(loaded.layers[0]?.getClassName()).toBe('NetblocksChannelShuffle');
    expect(loaded.layers[0]?.getConfig()).toMatchObject({ groups: 2, order: 'megvii' });
    input.dispose();
  });

  it('leaks no tensors', () => {
    const layer = new ChannelShuffle({ groups: 2 });
    const x = tf.ones([1, 4, 4, 6]);
    expectNoLeakedTensors(() => layer.apply(x));
    x.dispose();
  });
});

describe('ChannelSlice', () => {
  it('keeps channels [begin, begin + size)', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 7);
      const layer = new ChannelSlice({ begin: 2, size: 5 });
      const y = layer.apply(x) as tf.Tensor;
      expectTensorsClose(y, tf.gather(x, [2, 3, 4, 5, 6], 3), 0);
      expect(layer.computeOutputShape([null, 3, 3, 8])).toEqual([null, 3, 3, 5]);
      expect(layer.countParams()).toBe(0);
    });
  });

  it('passes the gradient into the kept channels only', () => {
    tf.tidy(() => {
      const layer = new ChannelSlice({ begin: 1, size: 2 });
      const dx = tf.grad((a: tf.Tensor) => (layer.apply(a) as tf.Tensor).sum())(tf.ones([1, 1, 1, 4]));
      expectTensorsClose(dx, tf.tensor([0, 1, 1, 0], [1, 1, 1, 4]), 0);
    });
  });

  it('names the argument and the value in its errors', () => {
    expect(() => new ChannelSlice({ begin: -1, size: 2 })).toThrow('`begin` must be an integer >= 0 (got begin=-1)');
    expect(() => new ChannelSlice({ begin: 0, size: 0 })).toThrow('`size` must be a positive integer (got size=0)');
    const layer = new ChannelSlice({ name: 'tail', begin: 4, size: 4 });
    expect(() => layer.apply(tf.input({ shape: [2, 2, 6] }))).toThrow(
      'NetblocksChannelSlice "tail": `begin + size` must not exceed the input channels (got begin=4, size=4, channels=6)',
    );
  });

  it('is registered under its prefixed className and survives a round trip', async () => {
    expect(ChannelSlice.className).toBe('NetblocksChannelSlice');
    const input = tf.randomNormal([1, 3, 3, 6], 0, 1, 'float32', 5);
    expectLayerRoundTrip(new ChannelSlice({ begin: 3, size: 3 }), input);
    const model = tf.sequential({ layers: [new ChannelSlice({ inputShape: [3, 3, 6], begin: 1, size: 4 })] });
    const loaded = await expectModelRoundTrip(model, input);
    expect(loaded.layers[0]?.getConfig()).toMatchObject({ begin: 1, size: 4 });
    input.dispose();
  });

  it('leaks no tensors', () => {
    const layer = new ChannelSlice({ begin: 0, size: 3 });
    const x = tf.ones([1, 4, 4, 6]);
    expectNoLeakedTensors(() => layer.apply(x));
    x.dispose();
  });
});
