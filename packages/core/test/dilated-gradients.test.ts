// Dilated convs train: the gradients `registerDilatedGradients` puts behind TF.js's Conv2D and
// DepthwiseConv2dNative kernels, and every netblocks conv path on top of them (convolve2d,
// FusedConv2D, convBnAct), against a naive Float64 conv and its hand-written gradient, on the cpu
// backend and on wasm (with @netblocks/wasm-train's gradient kernels).
import * as tf from '@tensorflow/tfjs';
import {
  depthwiseGeometry,
  expectLayerRoundTrip,
  expectModelRoundTrip,
  expectNoLeakedTensors,
  loadWasmTrainKernels,
  maxAbsDifference,
  naiveConv,
  naiveConvGrads,
  naiveOutShape,
  samePads,
  seededValues,
  torchPads,
  type NaiveConvGeometry,
  type Pair,
} from '@netblocks/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { convBnAct } from '../src/conv-bn-act.js';
import { convolve2d, type ConvPad } from '../src/convolve.js';
import { registerDilatedGradients, spreadKernel } from '../src/dilated-gradients.js';
import { DilatedConv2D } from '../src/layers/dilated-conv2d-layer.js';
import { FusedConv2D } from '../src/layers/fused-conv2d-layer.js';
import { profile } from '../src/profile/index.js';

const TOLERANCE = 1e-4;
type Shape4 = [number, number, number, number];
type Padding = 'same' | 'valid' | 'torch';

interface OpCase {
  kind: 'dense' | 'depthwise';
  /** Cout for a dense conv, the depth multiplier for a depthwise one. */
  channels: number;
  dilations: Pair;
  strides: Pair;
  padding: Padding;
}

const X_SHAPE: Shape4 = [2, 9, 7, 3];
const KERNEL: Pair = [3, 3];

function filterShape(c: Pick<OpCase, 'kind' | 'channels'>, cin = X_SHAPE[3], kernel = KERNEL): Shape4 {
  return [kernel[0], kernel[1], cin, c.channels];
}

/** The pads `padding` stands for, and TF.js's form of it. */
function pads(c: Pick<OpCase, 'padding' | 'strides' | 'dilations'>, xShape: Shape4 = X_SHAPE, kernel = KERNEL): { pads: [Pair, Pair]; pad: ConvPad } {
  if (c.padding === 'valid') return { pads: [[0, 0], [0, 0]], pad: 'valid' };
  if (c.padding === 'same') {
    return { pads: [samePads(xShape[1], kernel[0], c.strides[0], c.dilations[0]), samePads(xShape[2], kernel[1], c.strides[1], c.dilations[1])], pad: 'same' };
  }
  const [[t, b], [l, r]] = torchPads(kernel, c.dilations);
  return { pads: [[t, b], [l, r]], pad: [[0, 0], [t, b], [l, r], [0, 0]] };
}

function geometry(c: OpCase, xShape: Shape4 = X_SHAPE): NaiveConvGeometry {
  const rest = { strides: c.strides, dilations: c.dilations, pads: pads(c, xShape).pads };
  const fShape = filterShape(c, xShape[3]);
  return c.kind === 'depthwise' ? depthwiseGeometry(xShape, fShape, rest) : { xShape, filterShape: fShape, groups: 1, ...rest };
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, v) => p * v, 1);
}

/** `tf.grads` of `sum(dy * conv(x, filter))` and the forward value, next to the naive reference. */
function gradsAgainstNaive(c: OpCase, conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D): { forward: number; dx: number; dFilter: number } {
  const g = geometry(c);
  const fShape = filterShape(c);
  const xs = seededValues(size(X_SHAPE), 1);
  const fs = seededValues(size(fShape), 2);
  const dys = seededValues(size(naiveOutShape(g)), 3);
  const reference = naiveConvGrads(xs, fs, dys, g);
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, X_SHAPE);
    const filter = tf.tensor4d(fs, fShape);
    const dy = tf.tensor(dys, naiveOutShape(g));
    const [dx, dFilter] = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, f as tf.Tensor4D), dy)))([x, filter]);
    return {
      forward: maxAbsDifference(conv(x, filter).dataSync(), naiveConv(xs, fs, g)),
      dx: maxAbsDifference((dx as tf.Tensor).dataSync(), reference.dx),
      dFilter: maxAbsDifference((dFilter as tf.Tensor).dataSync(), reference.dFilter),
    };
  });
}

function expectClose(measured: Record<string, number>): void {
  for (const [name, value] of Object.entries(measured)) expect(value, `${name}: max abs difference ${value}`).toBeLessThanOrEqual(TOLERANCE);
}

const OP_CASES: OpCase[] = [];
for (const [kind, channels] of [['dense', 4], ['depthwise', 1], ['depthwise', 2]] as const) {
  for (const dilations of [[2, 2], [2, 1]] as Pair[]) {
    for (const padding of ['same', 'valid', 'torch'] as const) OP_CASES.push({ kind, channels, dilations, strides: [1, 1], padding });
  }
}
const label = (c: OpCase) => `${c.kind}${c.kind === 'depthwise' ? ` x${c.channels}` : ''}, dilation [${c.dilations}], stride [${c.strides}], padding ${c.padding}`;

/** TF.js's own op for a case, with the padding as TF.js takes it. */
function tfOp(c: OpCase): (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D {
  const { pad } = pads(c);
  return c.kind === 'dense'
    ? (x, f) => tf.conv2d(x, f, c.strides, pad, 'NHWC', c.dilations)
    : (x, f) => tf.depthwiseConv2d(x, f, c.strides, pad, 'NHWC', c.dilations);
}

/** The kernels one call runs (tf.profile), e.g. to tell the fused kernel from the plain one. */
async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(() => {
    const out = f();
    tf.dispose(out);
  });
  return info.kernelNames;
}

describe('registerDilatedGradients', () => {
  const dense: OpCase = { kind: 'dense', channels: 4, dilations: [2, 2], strides: [1, 1], padding: 'same' };

  it('is needed: TF.js 4.22 alone rejects the gradient of a dilated conv', () => {
    expect(() => gradsAgainstNaive(dense, tfOp(dense))).toThrow(/dilation/);
  });

  it('registers once (the register entry does), keeps the saved inputs and gives TF.js its own gradient at dilation 1', async () => {
    const own = ['Conv2D', 'DepthwiseConv2dNative'].map((k) => tf.getGradient(k) as tf.GradConfig);
    await import('../src/register.js');
    expect(registerDilatedGradients()).toEqual([]);
    own.forEach((original, i) => {
      const replaced = tf.getGradient(original.kernelName) as tf.GradConfig;
      expect(replaced).not.toBe(original);
      expect(replaced.inputsToSave).toEqual(original.inputsToSave);
      tf.tidy(() => {
        const x = tf.tensor4d(seededValues(size(X_SHAPE), 4), X_SHAPE);
        const filter = tf.tensor4d(seededValues(27 * (i === 0 ? 4 : 1), 5), [3, 3, 3, i === 0 ? 4 : 1]);
        const dy = tf.tensor4d(seededValues(2 * 9 * 7 * (i === 0 ? 4 : 3), 6), [2, 9, 7, i === 0 ? 4 : 3]);
        const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
        const ours = replaced.gradFunc(dy, [x, filter], attrs);
        const theirs = original.gradFunc(dy, [x, filter], attrs);
        for (const input of ['x', 'filter']) expect(ours[input]?.().arraySync()).toEqual(theirs[input]?.().arraySync());
      });
    });
  });

  it('spreads a kernel: dilation - 1 zeros between taps', () => {
    const spread = spreadKernel(tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]), [2, 3]);
    expect(spread.shape).toEqual([3, 4, 1, 1]);
    expect(Array.from(spread.dataSync())).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 4]);
  });
});

describe('DilatedConv2D', () => {
  beforeAll(async () => {
    await import('../src/register.js');
  });

  it('round-trips through its config and a saved model, dense and depthwise', async () => {
    const x = tf.tensor4d(seededValues(2 * 9 * 7 * 3, 15), [2, 9, 7, 3]);
    const dense = new DilatedConv2D({ filters: 4, kernelSize: [3, 2], strides: [1, 2], dilationRate: [2, 1], padding: 'same', kernelInitializer: 'heNormal' });
    const depthwise = new DilatedConv2D({ kernelSize: 3, dilationRate: 2, depthwise: true, depthMultiplier: 2, useBias: false });
    expectLayerRoundTrip(dense, x);
    expectLayerRoundTrip(depthwise, x);
    expect(dense.getConfig()).toMatchObject({ filters: 4, kernelSize: [3, 2], strides: [1, 2], dilationRate: [2, 1], padding: 'same', depthwise: false, useBias: true, kernelInitializer: 'heNormal', biasInitializer: 'zeros' });
    expect(depthwise.getConfig()).toMatchObject({ filters: null, depthwise: true, depthMultiplier: 2, useBias: false, kernelInitializer: 'glorotNormal' });
    const input = tf.input({ shape: [9, 7, 3] });
    const model = tf.model({ inputs: input, outputs: convBnAct({ name: 'c', depthwise: true, dilation: 2, strides: 2 })(input) });
    (await expectModelRoundTrip(model, x)).dispose();
    tf.dispose(x);
    model.dispose();
  });

  it('computes its output shape and reports its MACs to profile', () => {
    const input = tf.input({ shape: [9, 7, 3] });
    const dense = new DilatedConv2D({ name: 'dense', filters: 4, kernelSize: 3, dilationRate: 2, strides: 2, padding: 'same' });
    const dw = new DilatedConv2D({ name: 'dw', kernelSize: 3, dilationRate: 2, padding: 'same', depthwise: true, depthMultiplier: 2 });
    const output = dw.apply(dense.apply(input)) as tf.SymbolicTensor;
    expect(dense.computeOutputShape([null, 9, 7, 3])).toEqual([null, 5, 4, 4]);
    expect(output.shape).toEqual([null, 5, 4, 8]);
    expect(new DilatedConv2D({ filters: 2, kernelSize: 3, dilationRate: 2 }).computeOutputShape([1, 9, 7, 3])).toEqual([1, 5, 3, 2]);
    const model = tf.model({ inputs: input, outputs: output });
    const macs = new Map(profile(model).layers.map((l) => [l.name, l.macs]));
    expect(macs.get('dense')).toBe(5 * 4 * 9 * 3 * 4);
    expect(macs.get('dw')).toBe(5 * 4 * 9 * 8);
  });

  it('names the field and the value of a bad argument', () => {
    expect(() => new DilatedConv2D({ kernelSize: 3 })).toThrow('NetblocksDilatedConv2D: `filters` must be a positive integer (got filters=undefined)');
    expect(() => new DilatedConv2D({ filters: 2, kernelSize: 3, padding: 'torch' as 'same' })).toThrow(`\`padding\` must be 'same' or 'valid' (got padding="torch")`);
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`on the ${backend} backend`, () => {
    beforeAll(async () => {
      if (backend === 'wasm') await loadWasmTrainKernels();
      registerDilatedGradients();
      expect(await tf.setBackend(backend)).toBe(true);
      await tf.ready();
    });

    it(`runs on ${backend}`, () => {
      expect(tf.getBackend()).toBe(backend);
    });

    it.each(OP_CASES.map((c) => [label(c), c] as const))('tf.grads of %s equals the naive gradient', (_, c) => {
      expectClose(gradsAgainstNaive(c, tfOp(c)));
    });

    // TF.js's kernels reject strides and dilation both above 1; convolve2d spreads the kernel then.
    it.each(
      (['dense', 'depthwise'] as const).map((kind) => {
        const c: OpCase = { kind, channels: 2, dilations: [2, 2], strides: [2, 2], padding: 'torch' };
        return [label(c), c] as const;
      }),
    )('convolve2d with %s trains', (_, c) => {
      const { pad } = pads(c);
      expectClose(gradsAgainstNaive(c, (x, filter) => convolve2d({ x, filter, strides: c.strides, pad, dilations: c.dilations, depthwise: c.kind === 'depthwise' })));
    });

    it.each(['dense', 'depthwise'] as const)('FusedConv2D (%s, dilation 2) runs the fused kernel forward and trains under a tape', async (kind) => {
      const c: OpCase = { kind, channels: kind === 'dense' ? 4 : 2, dilations: [2, 2], strides: [1, 1], padding: 'torch' };
      const g = geometry(c);
      const fShape = filterShape(c);
      const outShape = naiveOutShape(g);
      const filters = outShape[3];
      const layer = new FusedConv2D({ filters, kernelSize: 3, dilationRate: 2, padding: g.pads, depthwise: kind === 'depthwise' });
      const xs = seededValues(size(X_SHAPE), 7);
      const fs = seededValues(size(fShape), 8);
      const bs = seededValues(filters, 9);
      const dys = seededValues(size(outShape), 10);
      const x = tf.tensor4d(xs, X_SHAPE);
      tf.tidy(() => layer.apply(x) as tf.Tensor);
      layer.setWeights([tf.tensor4d(fs, fShape), tf.tensor1d(bs)]);
      const forward = naiveConv(xs, fs, g).map((v, i) => v + (bs[i % filters] as number));
      const reference = naiveConvGrads(xs, fs, dys, g);
      const dBias = new Float64Array(filters);
      dys.forEach((v, i) => (dBias[i % filters] = (dBias[i % filters] as number) + v));
      const dy = tf.tensor(dys, outShape);
      const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, dy)) as tf.Scalar;
      const [kernel, bias] = layer.trainableWeights.map((w) => w.read()) as [tf.Variable, tf.Variable];
      expectClose(
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => loss(x), [kernel, bias]);
          const [dx] = tf.grads((input: tf.Tensor) => loss(input))([x]);
          return {
            forward: maxAbsDifference((layer.apply(x) as tf.Tensor).dataSync(), forward),
            dx: maxAbsDifference((dx as tf.Tensor).dataSync(), reference.dx),
            dFilter: maxAbsDifference((grads[kernel.name] as tf.Tensor).dataSync(), reference.dFilter),
            dBias: maxAbsDifference((grads[bias.name] as tf.Tensor).dataSync(), dBias),
          };
        }),
      );
      // Inference keeps TF.js's fused kernel; under a tape the conv, bias add and activation run apart.
      const [fusedKernel, plainKernel] = kind === 'dense' ? ['FusedConv2D', 'Conv2D'] : ['FusedDepthwiseConv2D', 'DepthwiseConv2dNative'];
      expect(await kernelsOf(() => layer.apply(x) as tf.Tensor)).toContain(fusedKernel);
      const taped = await kernelsOf(() => tf.grads((input: tf.Tensor) => loss(input))([x]));
      expect(taped).not.toContain(fusedKernel);
      expect(taped).toContain(plainKernel);
      expectNoLeakedTensors(() => tf.grads((input: tf.Tensor) => loss(input))([x]));
      tf.dispose([x, dy]);
      layer.dispose();
    });

    it.each([
      ['dense', { filters: 4 }],
      ['depthwise x2', { depthwise: true, depthMultiplier: 2 }],
    ] as const)('convBnAct (%s, dilation 2) builds a DilatedConv2D that computes the dilated conv', (_, conv) => {
      const input = tf.input({ shape: X_SHAPE.slice(1) });
      const model = tf.model({ inputs: input, outputs: convBnAct({ name: 'c', ...conv, dilation: 2, noBatchNorm: true, activation: null })(input) });
      const layer = model.getLayer('c.0');
      expect(layer).toBeInstanceOf(DilatedConv2D);
      expect(layer.weights.map((w) => w.originalName)).toEqual(['depthwise' in conv ? 'c.0/depthwise_kernel' : 'c.0/kernel']);
      const c: OpCase = { kind: 'depthwise' in conv ? 'depthwise' : 'dense', channels: 'depthwise' in conv ? 2 : 4, dilations: [2, 2], strides: [1, 1], padding: 'torch' };
      const fShape = filterShape(c);
      const xs = seededValues(size(X_SHAPE), 11);
      const fs = seededValues(size(fShape), 12);
      model.setWeights([tf.tensor4d(fs, fShape)]);
      tf.tidy(() => expectClose({ forward: maxAbsDifference((model.predict(tf.tensor4d(xs, X_SHAPE)) as tf.Tensor).dataSync(), naiveConv(xs, fs, geometry(c))) }));
      model.dispose();
    });

    it('a model of dilated convBnAct and FusedConv2D layers trains with model.fit', async () => {
      const input = tf.input({ shape: [9, 9, 3] });
      let y = convBnAct({ name: 'dense', filters: 4, dilation: 2 })(input);
      y = convBnAct({ name: 'dw', depthwise: true, depthMultiplier: 2, dilation: 2, strides: 2 })(y);
      y = new FusedConv2D({ name: 'fused', filters: 8, kernelSize: 3, dilationRate: 2, padding: [[2, 2], [2, 2]], depthwise: true }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(y) as tf.SymbolicTensor });
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const x = tf.tensor4d(seededValues(4 * 9 * 9 * 3, 13), [4, 9, 9, 3]);
      const target = tf.tensor2d(seededValues(8, 14), [4, 2]);
      const history = await model.fit(x, target, { epochs: 8, batchSize: 4, verbose: 0 });
      const losses = history.history['loss'] as number[];
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1] as number).toBeLessThan((losses[0] as number) * 0.9);
      tf.dispose([x, target]);
      model.dispose();
    });
  });
}
