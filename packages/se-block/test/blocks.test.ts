import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { BlockFn } from '@netblocks/core';
import { useBackend } from '@netblocks/test-utils';
import { seAttention, seBlock, withSE, type BranchAttention } from '../src/blocks.js';
import type { SqueezeExcite } from '../src/squeeze-excite-layer.js';

useBackend('cpu');

describe('seBlock', () => {
  it('builds one SqueezeExcite layer with the reduced width resolved from its options', () => {
    const input = tf.input({ shape: [7, 7, 96] });
    const y = seBlock({ name: 'blocks.2.0.se', channels: 96, reduced: { ratio: 0.25, of: 'input', baseChannels: 24 }, activation: 'swish', reduceName: 'conv_reduce', expandName: 'conv_expand' })(input);
    const model = tf.model({ inputs: input, outputs: y });
    expect(model.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'NetblocksSqueezeExcite']);
    expect((model.getLayer('blocks.2.0.se') as SqueezeExcite).resolved).toEqual({
      reducedChannels: 6,
      activation: 'swish',
      gate: 'sigmoid',
      kernelLayout: 'conv1x1',
      reduceName: 'conv_reduce',
      expandName: 'conv_expand',
    });
  });

  it("defaults to SENet's C/16 of the gated channels, ReLU and sigmoid", () => {
    const input = tf.input({ shape: [4, 4, 256] });
    const model = tf.model({ inputs: input, outputs: seBlock({ name: 'se', channels: 256 })(input) });
    expect(model.getLayer('se').getConfig()).toMatchObject({ reducedChannels: 16, activation: 'relu', gate: 'sigmoid', reduceName: 'fc1', expandName: 'fc2' });
  });

  it('names the values when the input has other channels than it was built for, or the name is empty', () => {
    expect(() => seBlock({ name: 'se', channels: 64 })(tf.input({ shape: [4, 4, 32] }))).toThrow('built for 64 channels (got an input with 32)');
    expect(() => seBlock({ name: '', channels: 64 })).toThrow('(got name="")');
  });
});

describe('seAttention and withSE', () => {
  /** A toy residual block with an attention hook: y = relu(attention(conv(x)) + x). */
  interface ToyArgs {
    name: string;
    channels: number;
    attention?: BranchAttention;
  }
  const toyBlock = (args: ToyArgs): BlockFn => {
    const conv = tf.layers.conv2d({ name: `${args.name}.conv`, filters: args.channels, kernelSize: 1 });
    const attention = args.attention?.(`${args.name}.se`, args.channels);
    return (x) => {
      let y = conv.apply(x) as tf.SymbolicTensor;
      if (attention) y = attention(y);
      return tf.layers.reLU({ name: `${args.name}.act` }).apply(tf.layers.add({ name: `${args.name}.add` }).apply([y, x])) as tf.SymbolicTensor;
    };
  };

  it('seAttention gives the hook a SqueezeExcite named by the block, sized by the channels it is handed', () => {
    const attention = seAttention({ gate: 'hardSigmoidTorch' });
    const input = tf.input({ shape: [3, 3, 64] });
    const model = tf.model({ inputs: input, outputs: attention('stage.se', 64)(input) });
    expect(model.getLayer('stage.se').getConfig()).toMatchObject({ reducedChannels: 4, gate: 'hardSigmoidTorch' });
  });

  it('withSE wraps any builder with an attention hook: every block it builds gets an SE before its addition', () => {
    const seToy = withSE(toyBlock, { reduced: { channels: 2 } });
    const input = tf.input({ shape: [3, 3, 8] });
    const model = tf.model({ inputs: input, outputs: seToy({ name: 'b1', channels: 8 })(seToy({ name: 'b0', channels: 8 })(input)) });
    for (const block of ['b0', 'b1']) {
      expect(model.getLayer(`${block}.se`).inboundNodes[0]?.inboundLayers.map((l) => l.name)).toEqual([`${block}.conv`]);
      expect(model.getLayer(`${block}.add`).inboundNodes[0]?.inboundLayers.map((l) => l.name)).toContain(`${block}.se`);
    }
    expect(model.countParams()).toBe(2 * (8 * 8 + 8 + (2 * 8 * 2 + 8 + 2)));
  });
});
