// outputStride models train: every dilated conv of every outputStride family is a layer whose call
// goes through core's convolve2d (DilatedConv2D, NetblocksDepthwiseConv2D, GroupConv2D), so
// tf.variableGrads of a softmax cross-entropy w.r.t. every trainable weight works on wasm (with
// @netblocks/wasm-train's gradient kernels) and on the cpu backend. Checked three ways: against the
// same model with each dilated conv rewritten as the undilated conv of its spread kernel (TF.js's
// undilated gradients only; on wasm this is bit for bit what core's dilated gradient computes, so
// it checks the wiring: no conv of the model escapes it), against a central difference along one
// dilated kernel's gradient (independent of any gradient code), and cpu against wasm. Two Adam
// steps lower the loss on a fixed batch.
import * as tf from '@tensorflow/tfjs';
import { cloneLayer, rewriteModel, spreadKernel, type RewriteRule } from '@netblocks/core';
import { reparameterize } from '@netblocks/repvgg-reparam';
import { loadWasmTrainKernels, randomizeBatchNorms, useBackend } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetblocksModel } from '../src/build.js';
import { efficientNet } from '../src/families/efficientnet.js';
import { repvgg } from '../src/families/repvgg.js';
import { resnet } from '../src/families/resnet.js';
import { createModel, type ModelOptions } from '../src/index.js';
import { buildVariant } from './helpers/torch-parity.js';

useBackend('cpu');

const SIZE = 32;
const CLASSES = 4;
const OPTIONS: ModelOptions = { inputShape: [SIZE, SIZE, 3], numClasses: CLASSES, outputStride: 8, dropRate: 0 };
/** max |grad - reference| / max |reference| per weight; float32 sums in another order. */
const TOLERANCE = 1e-4;

/** The layers that compute a dilated conv through convolve2d (so that they train). */
const TRAINABLE_DILATED = new Set(['NetblocksDilatedConv2D', 'NetblocksDepthwiseConv2D', 'NetblocksGroupConv2D']);

interface TrainingCase {
  name: string;
  outputStride: 8 | 16;
  make: (outputStride: 8 | 16) => NetblocksModel;
  /** The classes its dilated convs are. */
  classes: string[];
  /** Also computed on the cpu backend (whose naive Conv2DBackpropFilter takes ~25 s for the ResNets'
   * 1024 -> 2048 downsample at stride 8: they run there at 16, which builds the same layers). */
  cpu: boolean;
}

const tinyResNet = (cardinality: number, baseWidth: number) => (outputStride: 8 | 16) =>
  buildVariant(`resnet_c${cardinality}`, resnet, { layers: [1, 1, 2, 2], cardinality, baseWidth }, SIZE, { ...OPTIONS, outputStride });
const registered = (name: string) => (outputStride: 8 | 16) => createModel(name, { ...OPTIONS, outputStride });

// The smallest registered variant where it is small; the ResNets, EfficientNet and RepVGG reduced
// (the family's own builder, fewer and narrower blocks) to keep the file near a minute on two loaded
// cores. At 8 the ResNets have both rates (2 and 4) and a first block at the previous rate.
const CASES: TrainingCase[] = [
  { name: 'ResNet (1-1-2-2 bottlenecks, width 8)', outputStride: 8, make: tinyResNet(1, 8), classes: ['NetblocksDilatedConv2D'], cpu: false },
  { name: 'ResNet (1-1-2-2 bottlenecks, width 8)', outputStride: 16, make: tinyResNet(1, 8), classes: ['NetblocksDilatedConv2D'], cpu: true },
  { name: 'ResNeXt (1-1-2-2 bottlenecks, 8 groups of 4)', outputStride: 8, make: tinyResNet(8, 4), classes: ['NetblocksGroupConv2D'], cpu: false },
  { name: 'mobilenetv1_025', outputStride: 8, make: registered('mobilenetv1_025'), classes: ['NetblocksDepthwiseConv2D'], cpu: true },
  { name: 'mobilenetv2_035', outputStride: 8, make: registered('mobilenetv2_035'), classes: ['NetblocksDepthwiseConv2D'], cpu: true },
  {
    name: 'EfficientNet (width 0.25, depth 0.5)',
    outputStride: 8,
    make: (outputStride) => buildVariant('efficientnet_tiny', efficientNet, { widthCoefficient: 0.25, depthCoefficient: 0.5 }, SIZE, { ...OPTIONS, outputStride, dropPathRate: 0 }),
    classes: ['NetblocksDepthwiseConv2D'],
    cpu: true,
  },
  {
    // Global blocks 6 and 8 are grouped (stage3.1, stage4.0), 7 is not (stage3.2).
    name: 'RepVGG (1-2-2-3-1 blocks, g2)',
    outputStride: 8,
    make: (outputStride) => buildVariant('repvgg_tiny', repvgg, { blocks: [1, 2, 2, 3, 1], a: 0.25, b: 0.25, groups: 2 }, SIZE, { ...OPTIONS, outputStride }),
    classes: ['NetblocksDilatedConv2D', 'NetblocksGroupConv2D'],
    cpu: true,
  },
];

const pairOf = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [(v as number | undefined) ?? 1, (v as number | undefined) ?? 1]);

const isDilatedConv = (l: tf.layers.Layer): boolean => /Conv2D$/.test(l.getClassName()) && pairOf(l.getConfig()['dilationRate']).some((d) => d > 1);

/** The model's convs with a dilation above 1. */
const dilatedConvs = (model: tf.LayersModel): tf.layers.Layer[] => model.layers.filter(isDilatedConv);

/**
 * The reference rewrite: a dilated conv becomes the same layer with the spread kernel
 * (`d * (k - 1) + 1` wide, zeros between the taps) at dilation 1. Its extent, and so its padding
 * ('torch', 'same', 'valid' or a pad layer before it), is the dilated conv's, so the model computes
 * the same function, and its gradients are TF.js's undilated ones.
 */
const spreadRule: RewriteRule = (layer, graph) => {
  const call = graph.singleCall(layer);
  if (!isDilatedConv(layer) || call === null) return null;
  const [k, rates] = [pairOf(layer.getConfig()['kernelSize']), pairOf(layer.getConfig()['dilationRate'])];
  return {
    kind: 'spread',
    layers: [layer],
    input: call.inputTensors[0] as tf.SymbolicTensor,
    output: call.outputTensors[0] as tf.SymbolicTensor,
    createLayer: () => cloneLayer(layer, { kernelSize: [rates[0] * (k[0] - 1) + 1, rates[1] * (k[1] - 1) + 1], dilationRate: [1, 1] }),
    weights: () => {
      const [kernel, ...rest] = layer.getWeights() as [tf.Tensor4D, ...tf.Tensor[]];
      return [spreadKernel(kernel, rates), ...rest.map((w) => w.clone())];
    },
  };
};

/** A fixed batch of `size` images (one for the gradient checks: the cpu backend is slow) and their labels. */
function batch(size = 1): { x: tf.Tensor4D; labels: tf.Tensor2D } {
  return {
    x: tf.randomNormal([size, SIZE, SIZE, 3], 0, 1, 'float32', 17) as tf.Tensor4D,
    labels: tf.oneHot(tf.tensor1d([1, 3, 0, 2].slice(0, size), 'int32'), CLASSES).toFloat() as tf.Tensor2D,
  };
}

/**
 * Softmax cross-entropy of `model` on the batch. The gradient checks take it with BatchNorm in
 * inference mode, a fixed function of each weight: in training mode the batch statistics of a few
 * 4x4 maps couple everything, channels of near-zero variance amplify float32 noise (cpu and wasm
 * differed by up to 130% on BN shifts whose gradient is ~0) and a BN-normalized depthwise channel is
 * so curved in its taps that central differences missed by up to 70%. The optimizer steps train in
 * training mode, as fine-tuning does; the dilated convs' gradient code is the same in both.
 */
function loss(model: tf.LayersModel, { x, labels }: ReturnType<typeof batch>, training = false): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training }) as tf.Tensor2D) as tf.Scalar;
}

/** `tf.variableGrads` of the loss w.r.t. every trainable weight, by the weight's `originalName`. */
function gradients(model: tf.LayersModel, data: ReturnType<typeof batch>): Map<string, tf.Tensor> {
  const weights = model.trainableWeights;
  const { value, grads } = tf.variableGrads(() => loss(model, data), weights.map((w) => w.read() as tf.Variable));
  value.dispose();
  return new Map(weights.map((w) => [w.originalName, grads[w.name] as tf.Tensor]));
}

/** Largest |value| of `t`, or NaN when any value is not finite. */
function maxAbs(t: tf.Tensor): number {
  const values = t.dataSync();
  let max = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) return Number.NaN;
    max = Math.max(max, Math.abs(v));
  }
  return max;
}

/** Per dilated conv, max |d loss / d kernel| (NaN if not finite). */
function dilatedKernelGradients(model: tf.LayersModel, grads: Map<string, tf.Tensor>): Record<string, number> {
  return Object.fromEntries(
    dilatedConvs(model).map((layer) => {
      const kernel = layer.trainableWeights[0]?.originalName as string;
      return [layer.name, maxAbs(grads.get(kernel) as tf.Tensor)];
    }),
  );
}

/**
 * Worst difference of `grads` to `reference` over the weights: max |grad - ref| over max |ref| of
 * the weight, or over 1e-3 of the model's largest gradient where the weight's is smaller (float32
 * noise on a near-zero gradient has no scale of its own). With `rates` (the spread reference), a
 * dilated kernel's gradient is compared with the reference's at the taps.
 */
function worstDifference(grads: Map<string, tf.Tensor>, reference: Map<string, tf.Tensor>, rates = new Map<string, [number, number]>()): { worst: number; name: string } {
  const scale = 1e-3 * Math.max(...[...reference.values()].map(maxAbs));
  let worst = { worst: 0, name: '' };
  for (const [name, grad] of grads) {
    const ref = reference.get(name);
    if (ref === undefined) throw new Error(`the reference has no weight ${name}`);
    const rate = rates.get(name);
    const difference = tf.tidy(() => {
      const taps = rate === undefined ? ref : tf.stridedSlice(ref, [0, 0, 0, 0], ref.shape, [rate[0], rate[1], 1, 1]);
      return maxAbs(tf.sub(grad, taps)) / Math.max(maxAbs(taps), scale);
    });
    if (!(difference <= worst.worst)) worst = { worst: difference, name };
  }
  return worst;
}

/** Each dilated conv's kernel, by weight name, with its rates. */
const dilatedKernelRates = (model: tf.LayersModel): Map<string, [number, number]> =>
  new Map(dilatedConvs(model).map((l) => [l.trainableWeights[0]?.originalName as string, pairOf(l.getConfig()['dilationRate'])]));

/** Every gradient finite, every dilated kernel's non-zero somewhere. */
function expectUsableGradients(model: tf.LayersModel, grads: Map<string, tf.Tensor>): void {
  expect(grads.size).toBe(model.trainableWeights.length);
  for (const [name, grad] of grads) expect(Number.isFinite(maxAbs(grad)), name).toBe(true);
  const kernels = dilatedKernelGradients(model, grads);
  expect(Object.keys(kernels).length).toBeGreaterThan(0);
  for (const [name, max] of Object.entries(kernels)) expect(max, name).toBeGreaterThan(0);
}

/**
 * The central difference: a step along the kernel's gradient that moves the loss by about `change`
 * each way (float32 rounding of the loss, ~1e-7, and of the network's sums stays far below the
 * difference), at most `maxEps` long (the longer the step, the more ReLU / ReLU6 kinks it crosses),
 * and the agreement asked of it. Single taps were worse conditioned: the largest tap's gradient is
 * a fraction of the kernel's, so a step that avoids kinks moves the loss by ~1e-5 only.
 */
const FD = { change: 1e-3, maxEps: 1e-2, tolerance: 1e-2 };

/**
 * The central difference `(L(W + eps u) - L(W - eps u)) / 2 eps` of the loss along `u = g / |g|`,
 * `g` the gradient w.r.t. the kernel `W` of the most dilated conv, next to `g . u = |g|`: a check of
 * the derivative itself, independent of how any gradient is computed.
 */
function finiteDifference(model: tf.LayersModel, grads: Map<string, tf.Tensor>, data: ReturnType<typeof batch>): { layer: string; eps: number; fd: number; grad: number } {
  const layer = dilatedConvs(model).reduce((best, l) => (pairOf(l.getConfig()['dilationRate'])[0] > pairOf(best.getConfig()['dilationRate'])[0] ? l : best));
  const variable = layer.trainableWeights[0] as tf.LayerVariable;
  const g = grads.get(variable.originalName) as tf.Tensor;
  const norm = tf.tidy(() => tf.norm(g).dataSync()[0] as number);
  const eps = Math.min(FD.maxEps, FD.change / norm);
  const original = variable.read().clone();
  const lossAt = (step: number): number => {
    tf.tidy(() => {
      variable.write(tf.add(original, tf.mul(g, step / norm)));
    });
    return tf.tidy(() => loss(model, data).dataSync()[0] as number);
  };
  const fd = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
  variable.write(original);
  original.dispose();
  return { layer: layer.name, eps, fd, grad: norm };
}

/**
 * Every kernel (convs, depthwise convs, SE and classifier) drawn N(0, 1/fan_in) (LeCun) from fixed
 * seeds, so that the checks see the same numbers every run and the signal through the inference-mode
 * network neither fades (Keras' Glorot default shrinks MobileNetV2's output towards zero) nor explodes.
 */
function lecunKernels(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    if (!layer.weights.some((w) => /kernel$/.test(w.originalName))) continue;
    const fresh = layer.weights.map((w) => {
      const shape = w.shape as number[];
      if (!/kernel$/.test(w.originalName)) return w.read().clone();
      // A depthwise kernel [kh, kw, C, m] sums kh * kw taps; any other sums all but its last axis.
      const fanIn = /depthwise_kernel$/.test(w.originalName) || layer.getConfig()['depthwise'] === true ? (shape[0] as number) * (shape[1] as number) : shape.slice(0, -1).reduce((a, b) => a * b, 1);
      return tf.randomNormal(shape, 0, Math.sqrt(1 / fanIn), 'float32', s++);
    });
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

const label = (c: TrainingCase) => `${c.name} at outputStride ${c.outputStride}`;
const built: tf.LayersModel[] = [];
const models = new Map<string, NetblocksModel>();
function modelOf(c: TrainingCase): NetblocksModel {
  const found = models.get(label(c));
  if (found !== undefined) return found;
  const model = c.make(c.outputStride);
  lecunKernels(model, 3);
  randomizeBatchNorms(model, 5);
  built.push(model);
  models.set(label(c), model);
  return model;
}
/** The wasm gradients of each case, which the cpu ones are compared with. */
const wasmGrads = new Map<string, Map<string, tf.Tensor>>();
afterAll(() => {
  for (const m of built) m.dispose();
  for (const grads of wasmGrads.values()) tf.dispose([...grads.values()]);
});

async function onBackend(name: 'cpu' | 'wasm'): Promise<void> {
  expect(await tf.setBackend(name)).toBe(true);
}

describe('the dilated convs as built', () => {
  it.each(CASES)('$name at outputStride $outputStride: every one is a layer that trains dilated (none is a stock Keras conv)', (c) => {
    const dilated = dilatedConvs(modelOf(c));
    expect(dilated.length).toBeGreaterThan(0);
    expect([...new Set(dilated.map((l) => l.getClassName()))].sort()).toEqual([...c.classes].sort());
    expect(dilated.every((l) => TRAINABLE_DILATED.has(l.getClassName()))).toBe(true);
  });
});

describe('on wasm, with @netblocks/wasm-train', () => {
  beforeAll(async () => {
    await loadWasmTrainKernels();
    await onBackend('wasm');
  });

  it.each(CASES)('$name at outputStride $outputStride: tf.variableGrads of the cross-entropy works, equal to the spread-kernel reference', (c) => {
    const model = modelOf(c);
    const reference = rewriteModel(model, [spreadRule]);
    expect(dilatedConvs(reference)).toEqual([]);
    const data = batch();
    const grads = gradients(model, data);
    wasmGrads.set(label(c), grads);
    expectUsableGradients(model, grads);
    const referenceGrads = gradients(reference, data);
    const { worst, name } = worstDifference(grads, referenceGrads, dilatedKernelRates(model));
    console.info(`${label(c)} (wasm): max|grad - spread reference|/max|reference| = ${worst.toExponential(2)} (worst: ${name})`);
    expect(worst).toBeLessThan(TOLERANCE);
    const { layer, eps, fd, grad } = finiteDifference(model, grads, data);
    const relative = Math.abs(fd - grad) / grad;
    console.info(`${label(c)} (wasm): ${layer} kernel, along its gradient: |gradient| ${grad.toExponential(4)}, central difference (eps ${eps.toExponential(1)}) ${fd.toExponential(4)}, relative ${relative.toExponential(2)}`);
    expect(relative, layer).toBeLessThan(FD.tolerance);
    tf.dispose([...referenceGrads.values(), data.x, data.labels]);
    reference.dispose();
  });
});

describe('on the cpu backend', () => {
  beforeAll(() => onBackend('cpu'));

  it.each(CASES.filter((c) => c.cpu))('$name at outputStride $outputStride: tf.variableGrads works and gives the wasm gradients', (c) => {
    const model = modelOf(c);
    const data = batch();
    const grads = gradients(model, data);
    expectUsableGradients(model, grads);
    const wasm = wasmGrads.get(label(c));
    if (wasm === undefined) throw new Error(`no wasm gradients for ${label(c)}`);
    const { worst, name } = worstDifference(grads, wasm);
    console.info(`${label(c)} (cpu): max|grad - wasm grad|/max|wasm grad| = ${worst.toExponential(2)} (worst: ${name})`);
    expect(worst).toBeLessThan(TOLERANCE);
    tf.dispose([...grads.values(), data.x, data.labels]);
  });
});

describe('training on wasm', () => {
  beforeAll(() => onBackend('wasm'));

  it.each(CASES.filter((c) => c.outputStride === 8))('$name at outputStride 8: two Adam steps lower the loss on a fixed batch', (c) => {
    const model = modelOf(c);
    const data = batch(2);
    const optimizer = tf.train.adam(1e-3);
    const losses: number[] = [];
    for (let step = 0; step < 2; step++) {
      const value = optimizer.minimize(() => loss(model, data, true), true, model.trainableWeights.map((w) => w.read() as tf.Variable)) as tf.Scalar;
      losses.push(value.dataSync()[0] as number);
      value.dispose();
    }
    const after = tf.tidy(() => loss(model, data, true).dataSync()[0] as number);
    expect(after, `losses ${losses.join(', ')} -> ${after}`).toBeLessThan(losses[0] as number);
    optimizer.dispose();
    tf.dispose([data.x, data.labels]);
  });

  it('the deploy form of a dilated RepVGG (reparameterize: one dilated 3x3 with bias per block) trains too', () => {
    const deploy = reparameterize(modelOf(CASES[CASES.length - 1] as TrainingCase));
    built.push(deploy);
    expect(dilatedConvs(deploy).every((l) => TRAINABLE_DILATED.has(l.getClassName()))).toBe(true);
    const data = batch();
    const grads = gradients(deploy, data);
    expectUsableGradients(deploy, grads);
    tf.dispose([...grads.values(), data.x, data.labels]);
  });
});
