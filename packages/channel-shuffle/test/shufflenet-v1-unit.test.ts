import * as tf from '@tensorflow/tfjs';
import { profile } from '@netblocks/core';
import { expectNoLeakedTensors, expectTensorsClose, maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { channelShufflePermutation } from '../src/op.js';
import { shuffleNetV1Unit, type ShuffleNetV1UnitArgs } from '../src/shufflenet-v1-unit.js';
import { buildShuffleNetV1 } from './helpers/networks.js';
import {
  batchNormReference,
  depthwiseReference,
  groupedPointwiseReference,
  permuteChannels,
  randomizeWeights,
  weightsOf,
} from './helpers/weights.js';

useBackend('cpu');

function unitModel(args: ShuffleNetV1UnitArgs, size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, args.inChannels] });
  return tf.model({ inputs: input, outputs: shuffleNetV1Unit(args)(input) });
}

/** megvii's channel_shuffle as written: reshape (N, C/g, g, H, W), swap the two channel axes,
 * flatten; so output channel a * (C/g) + b is input channel b * g + a. */
function megviiShufflePermutation(channels: number, groups: number): number[] {
  const perGroup = channels / groups;
  const perm = new Array<number>(channels);
  for (let a = 0; a < groups; a++) for (let b = 0; b < perGroup; b++) perm[a * perGroup + b] = b * groups + a;
  return perm;
}

/** PyTorch's AvgPool2d(3, 2, 1) with count_include_pad: pad zeros, sum every 3x3 window, divide by 9. */
function averagePoolReference(x: tf.Tensor): tf.Tensor {
  const channels = x.shape[3] as number;
  const padded = tf.pad(x as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  return tf.depthwiseConv2d(padded, tf.fill([3, 3, channels, 1], 1 / 9) as tf.Tensor4D, 2, 'valid');
}

/** megvii's ShuffleV1Block.forward, op by op on the model's weights (looked up by megvii's names). */
type ReferenceArgs = Required<Pick<ShuffleNetV1UnitArgs, 'name' | 'groups' | 'strides' | 'firstGroupUngrouped'>>;

function referenceUnit(model: tf.LayersModel, a: ReferenceArgs, x: tf.Tensor): tf.Tensor {
  const w = (index: string) => weightsOf(model, `${a.name}.${index}`);
  let y = groupedPointwiseReference(x, w('branch_main_1.0')[0] as tf.Tensor, a.firstGroupUngrouped ? 1 : a.groups);
  y = tf.relu(batchNormReference(y, w('branch_main_1.1')));
  y = batchNormReference(depthwiseReference(y, w('branch_main_1.3')[0] as tf.Tensor, a.strides), w('branch_main_1.4'));
  if (a.groups > 1) y = permuteChannels(y, megviiShufflePermutation(y.shape[3] as number, a.groups));
  y = batchNormReference(groupedPointwiseReference(y, w('branch_main_2.0')[0] as tf.Tensor, a.groups), w('branch_main_2.1'));
  return a.strides === 1 ? tf.relu(tf.add(y, x)) : tf.concat([averagePoolReference(x), tf.relu(y)], 3);
}

/** megvii's parameter count of a ShuffleV1Block: [trainable, total with BN statistics]. */
function megviiParams(inChannels: number, outChannels: number, groups: number, strides: number, firstGroup: boolean): [number, number] {
  const mid = outChannels / 4;
  const mainOut = strides === 1 ? outChannels : outChannels - inChannels;
  const convs = (inChannels / (firstGroup ? 1 : groups)) * mid + 9 * mid + (mid / groups) * mainOut;
  const bnChannels = 2 * mid + mainOut;
  return [convs + 2 * bnChannels, convs + 4 * bnChannels];
}

describe('shuffleNetV1Unit', () => {
  it('keeps the shape at stride 1; at stride 2 halves the size and widens to outChannels', () => {
    expect(unitModel({ name: 's1', inChannels: 48, outChannels: 48, groups: 3 }, 8).outputs[0]?.shape).toEqual([null, 8, 8, 48]);
    const stride2 = unitModel({ name: 's2', inChannels: 24, outChannels: 240, groups: 3, strides: 2, firstGroupUngrouped: true }, 8);
    expect(stride2.outputs[0]?.shape).toEqual([null, 4, 4, 240]);
    expect(unitModel({ name: 'odd', inChannels: 16, outChannels: 48, groups: 2, strides: 2 }, 7).outputs[0]?.shape).toEqual([null, 4, 4, 48]);
  });

  it("names its layers as megvii's modules, with grouped and ungrouped kernels", () => {
    const model = unitModel({ name: 'features.0', inChannels: 24, outChannels: 240, groups: 3, strides: 2, firstGroupUngrouped: true }, 8);
    const kernel = (name: string) => model.getLayer(`features.0.${name}`).getWeights()[0]?.shape;
    expect(kernel('branch_main_1.0')).toEqual([1, 1, 24, 60]);
    expect(kernel('branch_main_1.3')).toEqual([3, 3, 60, 1]);
    expect(kernel('branch_main_2.0')).toEqual([1, 1, 20, 216]);
    expect(model.getLayer('features.0.branch_main_2.0').getClassName()).toBe('NetblocksGroupConv2D');
    expect(model.getLayer('features.0.branch_proj').getClassName()).toBe('AveragePooling2D');
    const weighted = model.layers.filter((l) => l.weights.length > 0).map((l) => l.name.replace('features.0.', ''));
    const megviiModules = ['branch_main_1.0', 'branch_main_1.1', 'branch_main_1.3', 'branch_main_1.4', 'branch_main_2.0', 'branch_main_2.1'];
    expect(weighted.sort()).toEqual(megviiModules);
    const grouped = unitModel({ name: 'features.5', inChannels: 480, outChannels: 480, groups: 3 }, 4);
    expect(grouped.getLayer('features.5.branch_main_1.0').getWeights()[0]?.shape).toEqual([1, 1, 160, 120]);
    expect(grouped.getLayer('features.5.shuffle').getConfig()).toMatchObject({ groups: 3, order: 'megvii' });
  });

  it("has megvii's parameter counts", () => {
    const cases = [
      [24, 240, 3, 2, true],
      [240, 240, 3, 1, false],
      [240, 480, 3, 2, false],
      [24, 384, 8, 2, true],
      [768, 768, 8, 1, false],
    ] as const;
    for (const [inChannels, outChannels, groups, strides, firstGroupUngrouped] of cases) {
      const model = unitModel({ name: 'u', inChannels, outChannels, groups, strides, firstGroupUngrouped }, 8);
      const [trainable, total] = megviiParams(inChannels, outChannels, groups, strides, firstGroupUngrouped);
      expect(model.countParams()).toBe(total);
      expect(profile(model).trainableParams).toBe(trainable);
    }
  });

  it("matches megvii's forward, op by op, at stride 1 and 2 (torch padding, even input)", () => {
    const cases = [
      { name: 'u', inChannels: 24, outChannels: 24, groups: 3, strides: 1, firstGroupUngrouped: false },
      { name: 'u', inChannels: 6, outChannels: 36, groups: 3, strides: 2, firstGroupUngrouped: true },
      { name: 'u', inChannels: 8, outChannels: 32, groups: 4, strides: 2, firstGroupUngrouped: false },
      { name: 'u', inChannels: 8, outChannels: 8, groups: 1, strides: 1, firstGroupUngrouped: false },
    ] as const;
    cases.forEach((args, i) => {
      const model = unitModel(args, 8);
      randomizeWeights(model, 31 + i);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 8, args.inChannels], 0, 1, 'float32', 37 + i);
        expectTensorsClose(model.predict(x) as tf.Tensor, referenceUnit(model, args, x), 1e-5);
      });
    });
  });

  it("divides border windows of the stride-2 shortcut by 9, as PyTorch's count_include_pad", () => {
    const model = unitModel({ name: 'u', inChannels: 3, outChannels: 15, groups: 3, strides: 2 }, 4);
    tf.tidy(() => {
      const shortcut = tf.slice(model.predict(tf.ones([1, 4, 4, 3])) as tf.Tensor, [0, 0, 0, 0], [1, 2, 2, 1]);
      // Windows at rows/cols -1..1 and 1..3 of a 4x4 input: 4, 6, 6 and 9 pixels inside.
      expectTensorsClose(shortcut, tf.tensor([4 / 9, 6 / 9, 6 / 9, 1], [1, 2, 2, 1]), 1e-6);
    });
    const same = unitModel({ name: 'u', inChannels: 3, outChannels: 15, groups: 3, strides: 2, padding: 'same' }, 4);
    tf.tidy(() => {
      const shortcut = tf.slice(same.predict(tf.ones([1, 4, 4, 3])) as tf.Tensor, [0, 0, 0, 0], [1, 2, 2, 1]);
      expectTensorsClose(shortcut, tf.ones([1, 2, 2, 1]), 1e-6); // TF divides by the pixels inside
    });
  });

  describe('shuffle placement (trap 6)', () => {
    const base = { name: 'u', inChannels: 24, outChannels: 48, groups: 3, strides: 2 } as const; // bottleneck 12 = 3 x 4

    /** Copies `after`'s weights into `before`, the depthwise conv's and its BN's permuted by the shuffle. */
    function copyPermuted(after: tf.LayersModel, before: tf.LayersModel, perm: number[]): void {
      for (const layer of after.layers) {
        const weights = layer.getWeights();
        if (weights.length === 0) continue;
        const permute = layer.name === 'u.branch_main_1.3' || layer.name === 'u.branch_main_1.4';
        const values = permute ? weights.map((w) => tf.gather(w, perm, w.rank === 4 ? 2 : 0)) : weights;
        before.getLayer(layer.name).setWeights(values);
        if (permute) tf.dispose(values);
      }
    }

    it('computes the same function before and after the depthwise conv, once its weights are permuted', () => {
      for (const order of ['megvii', 'paper'] as const) {
        const after = unitModel({ ...base, shuffle: 'afterDepthwise', shuffleOrder: order }, 6);
        const before = unitModel({ ...base, shuffle: 'beforeDepthwise', shuffleOrder: order }, 6);
        randomizeWeights(after, 41);
        // Shuffling after: y = S(D_w(z)), y[j] = D_w(z)[p[j]]; before: D_v(S(z)), which equals it when v[j] = w[p[j]].
        copyPermuted(after, before, channelShufflePermutation(12, 3, order));
        tf.tidy(() => {
          const x = tf.randomNormal([1, 6, 6, 24], 0, 1, 'float32', 43);
          expectTensorsClose(before.predict(x) as tf.Tensor, after.predict(x) as tf.Tensor, 1e-5);
        });
      }
    });

    it("defaults to megvii's order after the depthwise conv, and the paper's before it: different functions", () => {
      const megvii = unitModel(base, 6);
      const paper = unitModel({ ...base, shuffle: 'beforeDepthwise' }, 6);
      expect(megvii.getLayer('u.shuffle').getConfig()).toMatchObject({ order: 'megvii' });
      expect(paper.getLayer('u.shuffle').getConfig()).toMatchObject({ order: 'paper' });
      randomizeWeights(megvii, 47);
      copyPermuted(megvii, paper, channelShufflePermutation(12, 3, 'megvii'));
      tf.tidy(() => {
        const x = tf.randomNormal([1, 6, 6, 24], 0, 1, 'float32', 53);
        // Inverse orders mix different channels into each group of the second group conv.
        expect(maxRelativeDifference(paper.predict(x) as tf.Tensor, megvii.predict(x) as tf.Tensor)).toBeGreaterThan(0.01);
      });
    });
  });

  it('has no shuffle layer with one group', () => {
    const model = unitModel({ name: 'g1', inChannels: 16, outChannels: 16, groups: 1 }, 4);
    expect(model.layers.some((l) => l.getClassName() === 'NetblocksChannelShuffle')).toBe(false);
    expect(model.getLayer('g1.branch_main_2.0').getClassName()).toBe('Conv2D');
  });

  it('names the argument and the value in its errors', () => {
    const unit = (args: Partial<ShuffleNetV1UnitArgs>) => () =>
      shuffleNetV1Unit({ name: 'u', inChannels: 48, outChannels: 48, groups: 3, ...args });
    expect(unit({ inChannels: 24, outChannels: 96, strides: 2, groups: 5 })).toThrow(
      '`groups` must divide inChannels (got inChannels=24, groups=5)',
    );
    expect(unit({ inChannels: 24, outChannels: 96, strides: 2, groups: 5, firstGroupUngrouped: true })).toThrow(
      '`groups` must divide bottleneckChannels (got bottleneckChannels=24, groups=5)',
    );
    expect(unit({ inChannels: 24, outChannels: 88, strides: 2, groups: 2, firstGroupUngrouped: true, bottleneckChannels: 22 })).not.toThrow();
    expect(unit({ inChannels: 31, outChannels: 96, strides: 2, groups: 3, firstGroupUngrouped: true })).toThrow(
      '`groups` must divide outChannels - inChannels (got outChannels - inChannels=65, groups=3)',
    );
    expect(unit({ outChannels: 96 })).toThrow('with strides=1 `inChannels` must equal `outChannels` (got inChannels=48, outChannels=96)');
    expect(unit({ outChannels: 24, strides: 2 })).toThrow(
      'with strides=2 `outChannels` must exceed `inChannels` (got inChannels=48, outChannels=24)',
    );
    expect(unit({ strides: 3 })).toThrow('`strides` must be 1 or 2 (got strides=3)');
    expect(unit({ groups: 0 })).toThrow('`groups` must be a positive integer (got groups=0)');
    expect(unit({ shuffle: 'between' as never })).toThrow(`(got shuffle="between")`);
    expect(unit({ shuffleOrder: 'torch' as never })).toThrow(`\`shuffleOrder\` must be 'paper' or 'megvii' (got shuffleOrder="torch")`);
    expect(unit({ epsilon: 0 })).toThrow('`epsilon` must be positive (got epsilon=0)');
    expect(() => shuffleNetV1Unit({ name: 'u', inChannels: 48, outChannels: 48, groups: 3 })(tf.input({ shape: [4, 4, 24] }))).toThrow(
      'shuffleNetV1Unit "u": the input must have `inChannels` channels (got inChannels=48, input channels=24)',
    );
  });

  it('leaks no tensors in predict', () => {
    const model = unitModel({ name: 'u', inChannels: 12, outChannels: 36, groups: 3, strides: 2 }, 6);
    const x = tf.ones([1, 6, 6, 12]);
    expectNoLeakedTensors(() => model.predict(x));
    x.dispose();
  });
});

describe('ShuffleNetV1 (megvii) built from the unit', () => {
  it('g3 x1.0: 1,889,208 total / 1,864,728 trainable parameters, 137.46 M MACs', () => {
    const report = profile(buildShuffleNetV1(3, 24, [240, 480, 960]));
    expect(report.totalParams).toBe(1_889_208);
    expect(report.trainableParams).toBe(1_864_728);
    expect(report.unknownLayers).toEqual([]);
    expect(Math.abs(report.macs / 137.46e6 - 1)).toBeLessThan(0.01);
  });

  it('g8 x1.0: 2,472,936 total / 2,433,768 trainable parameters, 138.37 M MACs', () => {
    const report = profile(buildShuffleNetV1(8, 24, [384, 768, 1536]));
    expect(report.totalParams).toBe(2_472_936);
    expect(report.trainableParams).toBe(2_433_768);
    expect(Math.abs(report.macs / 138.37e6 - 1)).toBeLessThan(0.01);
  });
});
