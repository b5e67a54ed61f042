import * as tf from '@tensorflow/tfjs';
import { profile } from '@netblocks/core';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelSlice } from '../src/channel-slice-layer.js';
import { shuffleNetV2Unit, type ShuffleNetV2UnitArgs } from '../src/shufflenet-v2-unit.js';
import { buildShuffleNetV2 } from './helpers/networks.js';
import {
  batchNormReference,
  depthwiseReference,
  paperShufflePermutation,
  permuteChannels,
  randomizeWeights,
  weightsOf,
} from './helpers/weights.js';

useBackend('cpu');

afterEach(() => {
  vi.restoreAllMocks();
});

function unitModel(args: ShuffleNetV2UnitArgs, size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, args.inChannels] });
  return tf.model({ inputs: input, outputs: shuffleNetV2Unit(args)(input) });
}

/** torchvision's InvertedResidual, op by op on the model's weights (looked up by torchvision's names). */
function referenceUnit(model: tf.LayersModel, name: string, x: tf.Tensor, strides: number): tf.Tensor {
  const w = (index: string) => weightsOf(model, `${name}.${index}`);
  const pointwise = (t: tf.Tensor, index: string) => tf.conv2d(t as tf.Tensor4D, w(index)[0] as tf.Tensor4D, 1, 'valid');
  const branch2 = (t: tf.Tensor) => {
    let y = tf.relu(batchNormReference(pointwise(t, 'branch2.0'), w('branch2.1')));
    y = batchNormReference(depthwiseReference(y, w('branch2.3')[0] as tf.Tensor, strides), w('branch2.4'));
    return tf.relu(batchNormReference(pointwise(y, 'branch2.5'), w('branch2.6')));
  };
  let parts: tf.Tensor[];
  if (strides === 1) {
    const [x1, x2] = tf.split(x, 2, 3) as [tf.Tensor, tf.Tensor];
    parts = [x1, branch2(x2)];
  } else {
    let y = batchNormReference(depthwiseReference(x, w('branch1.0')[0] as tf.Tensor, strides), w('branch1.1'));
    y = tf.relu(batchNormReference(pointwise(y, 'branch1.2'), w('branch1.3')));
    parts = [y, branch2(x)];
  }
  const out = tf.concat(parts, 3);
  return permuteChannels(out, paperShufflePermutation(out.shape[3] as number, 2));
}

/** torchvision's parameter count of an InvertedResidual: [trainable, total with BN statistics]. */
function torchvisionParams(inChannels: number, outChannels: number, strides: number): [number, number] {
  const half = outChannels / 2;
  const branch2In = strides === 1 ? half : inChannels;
  const convs = branch2In * half + 9 * half + half * half + (strides === 1 ? 0 : 9 * inChannels + inChannels * half);
  const bnChannels = 3 * half + (strides === 1 ? 0 : inChannels + half);
  return [convs + 2 * bnChannels, convs + 4 * bnChannels];
}

describe('shuffleNetV2Unit', () => {
  it('keeps the shape at stride 1 and halves the size at stride 2', () => {
    expect(unitModel({ name: 's1', inChannels: 16, outChannels: 16 }, 8).outputs[0]?.shape).toEqual([null, 8, 8, 16]);
    expect(unitModel({ name: 's2', inChannels: 16, outChannels: 40, strides: 2 }, 8).outputs[0]?.shape).toEqual([null, 4, 4, 40]);
    expect(unitModel({ name: 's2odd', inChannels: 24, outChannels: 48, strides: 2 }, 7).outputs[0]?.shape).toEqual([null, 4, 4, 48]);
  });

  it("names its layers as torchvision's modules", () => {
    const stride2 = unitModel({ name: 'stage2.0', inChannels: 24, outChannels: 116, strides: 2 }, 8);
    const weighted = stride2.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
    expect(weighted).toEqual(
      expect.arrayContaining(['0', '1', '2', '3'].map((i) => `stage2.0.branch1.${i}`).concat(
        ['0', '1', '3', '4', '5', '6'].map((i) => `stage2.0.branch2.${i}`),
      )),
    );
    expect(weighted).toHaveLength(10);
    expect(stride2.getLayer('stage2.0.branch1.0').getWeights()[0]?.shape).toEqual([3, 3, 24, 1]);
    expect(stride2.getLayer('stage2.0.branch2.0').getWeights()[0]?.shape).toEqual([1, 1, 24, 58]);
    const stride1 = unitModel({ name: 'stage2.1', inChannels: 116, outChannels: 116 }, 8);
    expect(stride1.layers.filter((l) => l.weights.length > 0).map((l) => l.name).sort()).toEqual(
      ['0', '1', '3', '4', '5', '6'].map((i) => `stage2.1.branch2.${i}`),
    );
    expect(stride1.layers.map((l) => l.name)).toEqual(
      expect.arrayContaining(['stage2.1.chunk.0', 'stage2.1.chunk.1', 'stage2.1.concat', 'stage2.1.shuffle', 'stage2.1.branch2.7']),
    );
  });

  it("has torchvision's parameter counts", () => {
    for (const [inChannels, outChannels, strides] of [[24, 116, 2], [116, 116, 1], [232, 464, 2], [48, 48, 1]] as const) {
      const model = unitModel({ name: 'u', inChannels, outChannels, strides }, 8);
      const [trainable, total] = torchvisionParams(inChannels, outChannels, strides);
      expect(model.countParams()).toBe(total);
      expect(profile(model).trainableParams).toBe(trainable);
    }
  });

  it('matches the naive reference at stride 1 and 2, on an even input (torch padding)', () => {
    for (const [inChannels, outChannels, strides] of [[12, 12, 1], [6, 16, 2]] as const) {
      const model = unitModel({ name: 'unit', inChannels, outChannels, strides }, 8);
      randomizeWeights(model, 17 * strides);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 8, inChannels], 0, 1, 'float32', 23);
        expectTensorsClose(model.predict(x) as tf.Tensor, referenceUnit(model, 'unit', x, strides), 1e-5);
      });
    }
  });

  it('runs each channel slice once per predict (two single-output layers, not one two-output split)', () => {
    const input = tf.input({ shape: [4, 4, 8] });
    const a = shuffleNetV2Unit({ name: 'a', inChannels: 8, outChannels: 8 });
    const y = shuffleNetV2Unit({ name: 'b', inChannels: 8, outChannels: 8 })(a(input));
    const model = tf.model({ inputs: input, outputs: y });
    const call = vi.spyOn(ChannelSlice.prototype, 'call');
    tf.tidy(() => model.predict(tf.ones([1, 4, 4, 8])));
    expect(call).toHaveBeenCalledTimes(4);
  });

  it("with 'same' padding has no padding layers and, at stride 1, computes what 'torch' does", () => {
    const torch = unitModel({ name: 'u', inChannels: 8, outChannels: 8 }, 5);
    const same = unitModel({ name: 'u', inChannels: 8, outChannels: 8, padding: 'same' }, 5);
    expect(same.layers.some((l) => l.getClassName() === 'ZeroPadding2D')).toBe(false);
    expect(torch.getLayer('u.branch2.pad').getClassName()).toBe('ZeroPadding2D');
    randomizeWeights(torch, 71);
    same.setWeights(torch.getWeights());
    tf.tidy(() => {
      const x = tf.randomNormal([1, 5, 5, 8], 0, 1, 'float32', 73);
      expectTensorsClose(same.predict(x) as tf.Tensor, torch.predict(x) as tf.Tensor, 1e-6);
    });
  });

  it('uses the given BatchNorm epsilon and momentum', () => {
    const model = unitModel({ name: 'u', inChannels: 8, outChannels: 8, epsilon: 1e-3, momentum: 0.99 }, 4);
    expect(model.getLayer('u.branch2.4').getConfig()).toMatchObject({ epsilon: 1e-3, momentum: 0.99 });
  });

  it('names the argument and the value in its errors', () => {
    const unit = (args: Partial<ShuffleNetV2UnitArgs>) => () =>
      shuffleNetV2Unit({ name: 'u', inChannels: 16, outChannels: 16, ...args });
    expect(unit({ outChannels: 15, strides: 2 })).toThrow('`outChannels` must be even (got outChannels=15)');
    expect(unit({ outChannels: 32 })).toThrow(
      'with strides=1 `inChannels` must equal `outChannels` (got inChannels=16, outChannels=32)',
    );
    expect(unit({ strides: 4 })).toThrow('`strides` must be 1, 2 or 3 (got strides=4)');
    expect(unit({ inChannels: 0 })).toThrow('`inChannels` must be a positive integer (got inChannels=0)');
    expect(unit({ padding: 'valid' as never })).toThrow(`\`padding\` must be 'torch' or 'same' (got padding="valid")`);
    expect(unit({ name: '' })).toThrow('`name` must be a non-empty string');
    expect(unit({ momentum: 2 })).toThrow('`momentum` must be in [0, 1] (got momentum=2)');
    expect(() => shuffleNetV2Unit({ name: 'u', inChannels: 16, outChannels: 16 })(tf.input({ shape: [4, 4, 8] }))).toThrow(
      'shuffleNetV2Unit "u": the input must have `inChannels` channels (got inChannels=16, input channels=8)',
    );
  });

  it('leaks no tensors in predict', () => {
    const model = unitModel({ name: 'u', inChannels: 8, outChannels: 16, strides: 2 }, 6);
    const x = tf.ones([1, 6, 6, 8]);
    expectNoLeakedTensors(() => model.predict(x));
    x.dispose();
  });
});

describe('ShuffleNetV2 x1.0 built from the unit', () => {
  it("has torchvision's parameters and 144.9 M MACs", () => {
    const model = buildShuffleNetV2([24, 116, 232, 464, 1024]);
    const report = profile(model);
    expect(report.totalParams).toBe(2_294_784);
    expect(report.trainableParams).toBe(2_278_604);
    expect(report.unknownLayers).toEqual([]);
    expect(Math.abs(report.macs / 144.9e6 - 1)).toBeLessThan(0.01);
    expect(model.outputs[0]?.shape).toEqual([null, 1000]);
  });

  it('has the x0.5 parameter count too', () => {
    const report = profile(buildShuffleNetV2([24, 48, 96, 192, 1024]));
    expect(report.totalParams).toBe(1_374_744);
    expect(report.trainableParams).toBe(1_366_792);
  });
});
