import * as tf from '@tensorflow/tfjs';
import { expectNoLeakedTensors, useBackend } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convMacs, denseMacs, reportsMacs, type MacsReporter } from '../src/profile/macs.js';
import { profile, type LayerProfile, type ModelProfile } from '../src/profile/profile.js';
import { formatCount, summary } from '../src/profile/summary.js';
import { buildMobileNetV2Plain } from './helpers/mobilenet-v2-plain.js';

useBackend('cpu');

type Sym = tf.SymbolicTensor;

/** A model of one layer on an input of `shape` (batch excluded). */
function oneLayerModel(layer: tf.layers.Layer, shape: number[]): tf.LayersModel {
  const input = tf.input({ name: 'in', shape });
  return tf.model({ inputs: input, outputs: layer.apply(input) as Sym, name: 'one' });
}

function row(p: ModelProfile, name: string): LayerProfile {
  const found = p.layers.find((l) => l.name === name);
  if (!found) throw new Error(`no row ${name} in ${p.layers.map((l) => l.name).join(', ')}`);
  return found;
}

/** The rows must add up to the totals profile reports. */
function expectRowsAddUp(p: ModelProfile): void {
  expect(p.layers.reduce((s, l) => s + l.params, 0)).toBe(p.totalParams);
  expect(p.layers.reduce((s, l) => s + l.trainableParams, 0)).toBe(p.trainableParams);
  expect(p.layers.reduce((s, l) => s + l.macs, 0)).toBe(p.macs);
}

/** A 1x1 linear map over channels that counts its own MACs. */
class ChannelMix extends tf.layers.Layer implements MacsReporter {
  static className = 'TestChannelMix';
  seen: Array<[tf.Shape | tf.Shape[], tf.Shape | tf.Shape[]]> = [];
  constructor(
    private readonly units: number,
    name: string,
  ) {
    super({ name });
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    this.addWeight('kernel', [shape[shape.length - 1] as number, this.units], 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...(inputShape as tf.Shape).slice(0, -1), this.units];
  }
  computeMacs(inputShape: tf.Shape | tf.Shape[], outputShape: tf.Shape | tf.Shape[]): number {
    this.seen.push([inputShape, outputShape]);
    const out = outputShape as number[];
    const inChannels = (inputShape as number[])[3] as number;
    return (out[1] as number) * (out[2] as number) * inChannels * this.units;
  }
}

/** Holds a weight but says nothing about its MACs. */
class OpaqueLinear extends tf.layers.Layer {
  static className = 'TestOpaqueLinear';
  override build(): void {
    this.addWeight('w', [4, 4], 'float32', tf.initializers.zeros());
    this.built = true;
  }
}

/** No weights: costs 0 and is not "unknown". */
class Identity extends tf.layers.Layer {
  static className = 'TestIdentity';
}

describe('convMacs / denseMacs / reportsMacs', () => {
  it('computes the formulas', () => {
    expect(convMacs({ positions: [7, 7], kernelSize: [3, 3], inChannels: 8, outChannels: 16 })).toBe(49 * 9 * 8 * 16);
    expect(convMacs({ positions: [7, 7], kernelSize: [3, 3], inChannels: 8, outChannels: 16, groups: 4 })).toBe(49 * 9 * 2 * 16);
    expect(() => convMacs({ positions: [1], kernelSize: [1], inChannels: 6, outChannels: 4, groups: 4 })).toThrow(
      /`groups` must divide `inChannels` \(got inChannels=6, groups=4\)/,
    );
    expect(denseMacs([null, 5, 10], 64)).toBe(5 * 10 * 64);
    expect(() => denseMacs([null, null, 10], 64)).toThrow(/needs known dims after the batch \(got outputShape=\[null,null,10\]\)/);
  });
  it('recognises a MacsReporter', () => {
    expect(reportsMacs(new ChannelMix(2, 'mix'))).toBe(true);
    expect(reportsMacs(new OpaqueLinear({ name: 'opaque' }))).toBe(false);
    expect(reportsMacs(null)).toBe(false);
  });
});

describe('profile of single layers', () => {
  const conv = (args: Partial<Parameters<typeof tf.layers.conv2d>[0]>) =>
    profile(oneLayerModel(tf.layers.conv2d({ name: 'conv', kernelSize: 3, filters: 16, ...args }), [32, 32, 8]));

  it('Conv2D with and without bias, stride 1 and 2, same and valid', () => {
    const withBias = conv({ padding: 'same' });
    expect(row(withBias, 'conv')).toEqual({
      name: 'conv',
      className: 'Conv2D',
      outputShape: [null, 32, 32, 16],
      params: 9 * 8 * 16 + 16,
      trainableParams: 9 * 8 * 16 + 16,
      macs: 32 * 32 * 9 * 8 * 16,
    });
    const noBias = row(conv({ padding: 'same', useBias: false }), 'conv');
    expect([noBias.params, noBias.macs]).toEqual([9 * 8 * 16, 32 * 32 * 9 * 8 * 16]);
    expect(row(conv({ padding: 'same', strides: 2 }), 'conv').macs).toBe(16 * 16 * 9 * 8 * 16);
    expect(row(conv({ padding: 'valid', strides: 2 }), 'conv').macs).toBe(15 * 15 * 9 * 8 * 16);
    expect(row(conv({ padding: 'valid' }), 'conv').macs).toBe(30 * 30 * 9 * 8 * 16);
  });

  it('Conv2D in channelsFirst reads channels from axis 1', () => {
    const layer = tf.layers.conv2d({ name: 'conv', kernelSize: 3, filters: 4, dataFormat: 'channelsFirst' });
    const p = profile(oneLayerModel(layer, [8, 10, 10]));
    expect(row(p, 'conv').outputShape).toEqual([null, 4, 8, 8]);
    expect(p.macs).toBe(8 * 8 * 9 * 8 * 4);
  });

  it('DepthwiseConv2D with depthMultiplier 2', () => {
    const layer = tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'same' });
    const p = profile(oneLayerModel(layer, [16, 16, 4]));
    expect(row(p, 'dw').params).toBe(9 * 4 * 2 + 8);
    expect(p.macs).toBe(16 * 16 * 9 * 4 * 2);
  });

  it('SeparableConv2D counts depthwise plus pointwise', () => {
    const sep = (depthMultiplier: number) =>
      profile(
        oneLayerModel(tf.layers.separableConv2d({ name: 'sep', kernelSize: 3, filters: 8, depthMultiplier, padding: 'same' }), [
          16, 16, 4,
        ]),
      );
    const p = sep(1);
    expect(row(p, 'sep').params).toBe(9 * 4 + 4 * 8 + 8);
    expect(p.macs).toBe(16 * 16 * 9 * 4 + 16 * 16 * 4 * 8);
    expect(sep(2).macs).toBe(16 * 16 * 9 * 8 + 16 * 16 * 8 * 8);
  });

  it('Conv1D and Conv2DTranspose', () => {
    const conv1d = profile(oneLayerModel(tf.layers.conv1d({ name: 'c1', kernelSize: 3, filters: 6 }), [20, 4]));
    expect(conv1d.macs).toBe(18 * 3 * 4 * 6);
    const transposed = tf.layers.conv2dTranspose({ name: 'up', kernelSize: 3, filters: 6, strides: 2, padding: 'same' });
    const p = profile(oneLayerModel(transposed, [8, 8, 4]));
    expect(row(p, 'up').outputShape).toEqual([null, 16, 16, 6]);
    // Each input position scatters a kh*kw*Cout patch from Cin channels.
    expect(p.macs).toBe(8 * 8 * 9 * 4 * 6);
  });

  it('Dense on rank-2 and rank-3 inputs', () => {
    const rank2 = profile(oneLayerModel(tf.layers.dense({ name: 'fc', units: 10 }), [64]));
    expect([rank2.totalParams, rank2.macs]).toEqual([650, 64 * 10]);
    const rank3 = profile(oneLayerModel(tf.layers.dense({ name: 'fc', units: 10 }), [5, 64]));
    expect(row(rank3, 'fc').outputShape).toEqual([null, 5, 10]);
    expect([rank3.totalParams, rank3.macs]).toEqual([650, 5 * 64 * 10]);
  });

  it('BatchNormalization: 4C params, 2C trainable, no MACs', () => {
    const p = profile(oneLayerModel(tf.layers.batchNormalization({ name: 'bn' }), [4, 4, 6]));
    expect(p).toMatchObject({ totalParams: 24, trainableParams: 12, nonTrainableParams: 12, macs: 0, unknownLayers: [] });
  });

  it('a subclass of Conv2D is counted as one, grouped when its config says so', () => {
    const Conv2D = tf.serialization.SerializationMap.getMap().classNameMap['Conv2D']?.[0] as unknown as new (
      args: Parameters<typeof tf.layers.conv2d>[0],
    ) => tf.layers.Layer;
    class PlainSubclass extends Conv2D {
      static className = 'TestConv2DSubclass';
    }
    class GroupedSubclass extends Conv2D {
      static className = 'TestGroupedConv2D';
      override getConfig(): tf.serialization.ConfigDict {
        return { ...super.getConfig(), groups: 4 };
      }
    }
    const args = { name: 'conv', kernelSize: 1, filters: 8 };
    expect(profile(oneLayerModel(new PlainSubclass(args), [2, 2, 8])).macs).toBe(4 * 8 * 8);
    expect(profile(oneLayerModel(new GroupedSubclass(args), [2, 2, 8])).macs).toBe(4 * 2 * 8);
  });
});

describe('profile of custom layers', () => {
  it('asks a MacsReporter for its MACs, with the call shapes', () => {
    const mix = new ChannelMix(5, 'mix');
    const p = profile(oneLayerModel(mix, [6, 6, 3]));
    expect(mix.seen).toEqual([[[null, 6, 6, 3], [null, 6, 6, 5]]]);
    expect(row(p, 'mix')).toMatchObject({ className: 'TestChannelMix', params: 15, macs: 36 * 3 * 5 });
    expect(p.unknownLayers).toEqual([]);
  });

  it('lists a weighted layer it cannot count, but not a weightless one', () => {
    const input = tf.input({ name: 'in', shape: [4] });
    const hidden = new Identity({ name: 'id' }).apply(input) as Sym;
    const opaque = new OpaqueLinear({ name: 'opaque' }).apply(hidden) as Sym;
    const out = tf.layers.dense({ name: 'fc', units: 2 }).apply(opaque) as Sym;
    const p = profile(tf.model({ inputs: input, outputs: out, name: 'm' }));
    expect(p.unknownLayers).toEqual(['TestOpaqueLinear']);
    expect(row(p, 'opaque')).toMatchObject({ params: 16, macs: 0 });
    expect(p.macs).toBe(8);
  });

  it('rejects a MacsReporter that returns nonsense', () => {
    const mix = new ChannelMix(2, 'mix');
    mix.computeMacs = () => Number.NaN;
    expect(() => profile(oneLayerModel(mix, [2, 2, 2]))).toThrow(/computeMacs of layer "mix" must return a count >= 0 \(got NaN\)/);
  });
});

describe('profile of model structures', () => {
  /** conv 3x3 (bias) -> BN -> ReLU on any spatial size, as a nested model. */
  function backbone(): tf.LayersModel {
    const input = tf.input({ name: 'backbone_in', shape: [null, null, 3] });
    let x = tf.layers.conv2d({ name: 'conv', kernelSize: 3, filters: 4, padding: 'same' }).apply(input) as Sym;
    x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as Sym;
    x = tf.layers.reLU({ name: 'relu' }).apply(x) as Sym;
    return tf.model({ inputs: input, outputs: x, name: 'backbone' });
  }
  const backboneMacs = (h: number, w: number) => h * w * 9 * 3 * 4;

  it('recurses into a nested model, at the size its caller feeds it', () => {
    const input = tf.input({ name: 'input', shape: [8, 8, 3] });
    let x = backbone().apply(input) as Sym;
    x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as Sym;
    x = tf.layers.dense({ name: 'head', units: 2 }).apply(x) as Sym;
    const model = tf.model({ inputs: input, outputs: x, name: 'classifier' });
    const p = profile(model);
    expect(p.layers.map((l) => l.name)).toEqual(['input', 'backbone/conv', 'backbone/bn', 'backbone/relu', 'pool', 'head']);
    expect(row(p, 'backbone/conv')).toMatchObject({ outputShape: [null, 8, 8, 4], params: 112, macs: backboneMacs(8, 8) });
    expect(row(p, 'input').outputShape).toEqual([null, 8, 8, 3]);
    expect(p).toMatchObject({ totalParams: model.countParams(), trainableParams: 130, nonTrainableParams: 8 });
    expect(p.macs).toBe(backboneMacs(8, 8) + 4 * 2);
    expectRowsAddUp(p);
  });

  it('sums the calls of a shared nested model and counts its weights once', () => {
    const shared = backbone();
    const a = tf.input({ name: 'a', shape: [8, 8, 3] });
    const b = tf.input({ name: 'b', shape: [4, 4, 3] });
    const pool = (x: Sym, name: string) => tf.layers.globalAveragePooling2d({ name }).apply(x) as Sym;
    const out = tf.layers.add({ name: 'add' }).apply([pool(shared.apply(a) as Sym, 'pa'), pool(shared.apply(b) as Sym, 'pb')]) as Sym;
    const p = profile(tf.model({ inputs: [a, b], outputs: out, name: 'siamese' }));
    expect(row(p, 'backbone/conv').macs).toBe(backboneMacs(8, 8) + backboneMacs(4, 4));
    expect(p.totalParams).toBe(128);
    expectRowsAddUp(p);
  });

  it('counts a frozen layer and a frozen nested model as non-trainable', () => {
    const inner = backbone();
    inner.trainable = false;
    const input = tf.input({ name: 'input', shape: [4, 4, 3] });
    const head = tf.layers.dense({ name: 'head', units: 2, trainable: false });
    const fc = tf.layers.dense({ name: 'fc', units: 3 });
    const out = fc.apply(head.apply(inner.apply(input) as Sym) as Sym) as Sym;
    const p = profile(tf.model({ inputs: input, outputs: out, name: 'frozen' }));
    expect(p).toMatchObject({ totalParams: 128 + 10 + 9, trainableParams: 9, nonTrainableParams: 138 });
    expect(row(p, 'backbone/conv').trainableParams).toBe(0);
    expectRowsAddUp(p);
  });

  it('profiles a Sequential model (no input row)', () => {
    const model = tf.sequential({
      name: 'seq',
      layers: [tf.layers.dense({ name: 'd1', units: 3, inputShape: [4] }), tf.layers.dense({ name: 'd2', units: 2 })],
    });
    const p = profile(model);
    expect(p.layers.map((l) => [l.name, l.macs])).toEqual([
      ['d1', 12],
      ['d2', 6],
    ]);
    expect(p.totalParams).toBe(23);
  });

  it('needs a fixed input size to count MACs', () => {
    const model = oneLayerModel(tf.layers.conv2d({ name: 'conv', kernelSize: 3, filters: 2 }), [null, null, 3] as unknown as number[]);
    expect(() => profile(model)).toThrow(/layer "conv" \(Conv2D\): its output shape \[null,null,null,2\] has unknown dimensions/);
  });
});

describe('MobileNetV2-1.0 from plain layers', () => {
  let model: tf.LayersModel;
  let p: ModelProfile;
  beforeAll(() => {
    model = buildMobileNetV2Plain();
    p = profile(model);
  });
  afterAll(() => model.dispose());

  it('matches torchvision: 3,538,984 params (3,504,872 trainable) and 300.8 M MACs', () => {
    expect(p.totalParams).toBe(3_538_984);
    expect(p.trainableParams).toBe(3_504_872);
    expect(p.nonTrainableParams).toBe(3_538_984 - 3_504_872);
    expect(Math.abs(p.macs - 300.8e6) / 300.8e6).toBeLessThan(0.005);
    // The same sum done by hand over the (t, c, n, s) table: stem + blocks + head conv + classifier.
    expect(p.macs).toBe(300_774_272);
    expect(p.unknownLayers).toEqual([]);
  });

  it('reports every layer in model order, adding up to the totals', () => {
    expect(p.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expectRowsAddUp(p);
    expect(row(p, 'stem_conv')).toMatchObject({ outputShape: [null, 112, 112, 32], params: 864, macs: 112 * 112 * 27 * 32 });
    expect(row(p, 'block_2_dw_conv')).toMatchObject({ className: 'DepthwiseConv2D', outputShape: [null, 56, 56, 96] });
    expect(row(p, 'classifier')).toMatchObject({ params: 1_281_000, macs: 1_280_000 });
    expect(row(p, 'block_3_add').macs).toBe(0);
  });

  it('creates no tensors', async () => {
    await expectNoLeakedTensors(() => {
      profile(model);
    });
  });

  it('summary has one row per layer and the totals', () => {
    const text = summary(model, { profile: p });
    const lines = text.split('\n');
    for (const layer of model.layers) {
      expect(lines.filter((l) => l.startsWith(`${layer.name} `)), layer.name).toHaveLength(1);
    }
    expect(lines).toContain('Total params: 3,538,984 (3.54 M)');
    expect(lines).toContain('Trainable params: 3,504,872 (3.50 M)');
    expect(lines).toContain('Non-trainable params: 34,112 (34.11 K)');
    expect(lines).toContain(`MACs: ${formatCount(p.macs)}`);
    expect(formatCount(p.macs)).toMatch(/^30[01]\.\d\d M$/);
    expect(lines.find((l) => l.startsWith('classifier '))).toMatch(/^classifier\s+Dense\s+\[null,1000\]\s+1,281,000\s+1\.28 M$/);
  });
});

describe('summary and formatCount', () => {
  it('formats counts in K / M / G / T', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1.00 K');
    expect(formatCount(1536)).toBe('1.54 K');
    expect(formatCount(300_774_272)).toBe('300.77 M');
    expect(formatCount(999_999)).toBe('1.00 M');
    expect(formatCount(8.357e9, 3)).toBe('8.357 G');
    expect(formatCount(2.5e15, 1)).toBe('2500.0 T');
    expect(formatCount(-2048)).toBe('-2.05 K');
    expect(() => formatCount(1, -1)).toThrow(/`digits` must be an integer in \[0, 20\] \(got digits=-1\)/);
  });

  it('profiles the model itself and names layers whose MACs are unknown', () => {
    const text = summary(oneLayerModel(new OpaqueLinear({ name: 'opaque' }), [4]));
    expect(text).toContain('Model: one');
    expect(text).toMatch(/^opaque\s+TestOpaqueLinear\s+\[null,4\]\s+16\s+0$/m);
    expect(text).toContain('MACs not counted for: TestOpaqueLinear');
  });
});
