import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profile } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { invertedResidual, planInvertedResidual, type InvertedResidualArgs } from '../src/inverted-residual.js';
import '../src/register.js';
import { randomizeBatchNorms, randomizeWeights, referenceBlock, relu6, swish, weightsOf } from './reference.js';

useBackend('cpu');

const tmp = mkdtempSync(join(tmpdir(), 'inverted-residual-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function blockModel(args: InvertedResidualArgs, size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, args.inChannels] });
  return tf.model({ inputs: input, outputs: invertedResidual(args)(input) });
}
const layerNames = (model: tf.LayersModel) => model.layers.slice(1).map((l) => l.name);

describe('layer names follow the reference implementations', () => {
  it("torchvision MobileNetV2, t = 6: conv.0.* expand, conv.1.* depthwise, conv.2 / conv.3 projection", () => {
    const model = blockModel({ name: 'features.3', inChannels: 24, outChannels: 24, expandRatio: 6 }, 8);
    expect(layerNames(model)).toEqual([
      'features.3.conv.0.0', 'features.3.conv.0.1', 'features.3.conv.0.2',
      'features.3.conv.1.0.pad', 'features.3.conv.1.0', 'features.3.conv.1.1', 'features.3.conv.1.2',
      'features.3.conv.2', 'features.3.conv.3', 'features.3.add',
    ]);
    expect(model.getLayer('features.3.conv.0.2').getConfig()).toMatchObject({ activation: 'relu6' });
  });

  it('torchvision MobileNetV2, t = 1: the indices shift (conv.0.* depthwise, conv.1 / conv.2 projection)', () => {
    const model = blockModel({ name: 'features.1', inChannels: 32, outChannels: 16, expandRatio: 1 }, 8);
    expect(layerNames(model)).toEqual([
      'features.1.conv.0.0.pad', 'features.1.conv.0.0', 'features.1.conv.0.1', 'features.1.conv.0.2', 'features.1.conv.1', 'features.1.conv.2',
    ]);
  });

  it("timm InvertedResidual with SE: conv_pw, bn1, conv_dw, bn2, se.conv_reduce / conv_expand, conv_pwl, bn3, drop_path", () => {
    const model = blockModel(
      { name: 'blocks.2.1', inChannels: 40, outChannels: 40, expandRatio: 6, kernelSize: 5, activation: 'swish', se: {}, dropPathRate: 0.05, names: 'timm' },
      8,
    );
    expect(layerNames(model)).toEqual([
      'blocks.2.1.conv_pw', 'blocks.2.1.bn1', 'blocks.2.1.bn1.act',
      'blocks.2.1.conv_dw.pad', 'blocks.2.1.conv_dw', 'blocks.2.1.bn2', 'blocks.2.1.bn2.act',
      'blocks.2.1.se', 'blocks.2.1.conv_pwl', 'blocks.2.1.bn3', 'blocks.2.1.drop_path', 'blocks.2.1.add',
    ]);
    expect(model.getLayer('blocks.2.1.se').weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['blocks.2.1.se/conv_reduce/kernel', [1, 1, 240, 10]],
      ['blocks.2.1.se/conv_reduce/bias', [10]],
      ['blocks.2.1.se/conv_expand/kernel', [1, 1, 10, 240]],
      ['blocks.2.1.se/conv_expand/bias', [240]],
    ]);
  });

  it('timm DepthwiseSeparableConv for t = 1: conv_dw, bn1, se, conv_pw, bn2', () => {
    const model = blockModel({ name: 'blocks.0.0', inChannels: 32, outChannels: 16, expandRatio: 1, activation: 'swish', se: {}, names: 'timm' }, 8);
    expect(layerNames(model)).toEqual([
      'blocks.0.0.conv_dw.pad', 'blocks.0.0.conv_dw', 'blocks.0.0.bn1', 'blocks.0.0.bn1.act', 'blocks.0.0.se', 'blocks.0.0.conv_pw', 'blocks.0.0.bn2',
    ]);
    expect(model.getLayer('blocks.0.0.se').getConfig()).toMatchObject({ reducedChannels: 8, activation: 'swish', gate: 'sigmoid' });
  });

  it('torchvision EfficientNet MBConv: block.0-3 (.0 conv, .1 BN), SE fc1 / fc2 at block.2, stochastic_depth', () => {
    const model = blockModel(
      { name: 'features.2.1', inChannels: 24, outChannels: 24, expandRatio: 6, activation: 'swish', se: {}, dropPathRate: 0.0375, names: 'torchvision-efficientnet' },
      8,
    );
    expect(layerNames(model)).toEqual([
      'features.2.1.block.0.0', 'features.2.1.block.0.1', 'features.2.1.block.0.2',
      'features.2.1.block.1.0.pad', 'features.2.1.block.1.0', 'features.2.1.block.1.1', 'features.2.1.block.1.2',
      'features.2.1.block.2', 'features.2.1.block.3.0', 'features.2.1.block.3.1', 'features.2.1.stochastic_depth', 'features.2.1.add',
    ]);
    expect(model.getLayer('features.2.1.block.2').weights.map((w) => w.originalName)).toEqual([
      'features.2.1.block.2/fc1/kernel', 'features.2.1.block.2/fc1/bias', 'features.2.1.block.2/fc2/kernel', 'features.2.1.block.2/fc2/bias',
    ]);
    const dwOnly = blockModel({ name: 'f.1.0', inChannels: 32, outChannels: 16, expandRatio: 1, activation: 'swish', se: {}, names: 'torchvision-efficientnet' }, 8);
    expect(layerNames(dwOnly)).toEqual(['f.1.0.block.0.0.pad', 'f.1.0.block.0.0', 'f.1.0.block.0.1', 'f.1.0.block.0.2', 'f.1.0.block.1', 'f.1.0.block.2.0', 'f.1.0.block.2.1']);
  });
});

describe('structure (trap 9)', () => {
  it('adds the input back only at stride 1 with inChannels == outChannels', () => {
    const plan = (inChannels: number, outChannels: number, strides: number) => planInvertedResidual({ name: 'b', inChannels, outChannels, expandRatio: 6, strides }).hasResidual;
    expect([plan(24, 24, 1), plan(24, 24, 2), plan(24, 32, 1), plan(24, 32, 2)]).toEqual([true, false, false, false]);
    const adds = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === 'Add').length;
    expect(adds(blockModel({ name: 'b', inChannels: 24, outChannels: 24, expandRatio: 6, strides: 2 }, 8))).toBe(0);
  });

  it('has no expansion conv at t = 1 and a linear projection (no activation after the last BN)', () => {
    const model = blockModel({ name: 'b', inChannels: 16, outChannels: 16, expandRatio: 1 }, 6);
    expect(model.layers.filter((l) => l.getClassName() === 'Conv2D')).toHaveLength(1);
    // The add takes the projection BN directly: no activation layer in between.
    expect(model.getLayer('b.add').inboundNodes[0]?.inboundLayers.map((l) => l.name)).toEqual(['b.conv.2', model.layers[0]?.name]);
  });

  it('halves the resolution at stride 2 with either padding', () => {
    for (const padding of ['torch', 'same'] as const) {
      const model = blockModel({ name: 'b', inChannels: 16, outChannels: 24, expandRatio: 6, strides: 2, kernelSize: 5, padding }, 14);
      expect(model.outputs[0]?.shape).toEqual([null, 7, 7, 24]);
    }
  });

  it('passes BatchNorm epsilon and momentum to every BN and rounds the hidden width as asked', () => {
    const model = blockModel({ name: 'b', inChannels: 24, outChannels: 24, expandRatio: 6, epsilon: 1e-3, momentum: 0.99 }, 4);
    for (const bn of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) expect(bn.getConfig()).toMatchObject({ epsilon: 1e-3, momentum: 0.99 });
    // int(round(3 * 1.5)) = round(4.5) = 4 in Python (half to even); makeDivisible(4.5, 8) = 8.
    expect(planInvertedResidual({ name: 'b', inChannels: 3, outChannels: 3, expandRatio: 1.5 }).expandedChannels).toBe(4);
    expect(planInvertedResidual({ name: 'b', inChannels: 5, outChannels: 3, expandRatio: 1.5 }).expandedChannels).toBe(8);
    expect(planInvertedResidual({ name: 'b', inChannels: 3, outChannels: 3, expandRatio: 1.5, expandDivisor: 8 }).expandedChannels).toBe(8);
  });
});

describe('numerics against the block written with plain tf ops', () => {
  it('MobileNetV2 block, t = 6, residual', () => {
    const args: InvertedResidualArgs = { name: 'f', inChannels: 8, outChannels: 8, expandRatio: 6 };
    const model = blockModel(args, 6);
    randomizeBatchNorms(model, 1);
    const roles = { expandConv: 'f.conv.0.0', expandBn: 'f.conv.0.1', dwConv: 'f.conv.1.0', dwBn: 'f.conv.1.1', projectConv: 'f.conv.2', projectBn: 'f.conv.3' };
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 2) as tf.Tensor4D;
      const expected = referenceBlock(x, weightsOf(model, Object.values(roles)), { ...roles, kernelSize: 3, strides: 1, activation: relu6, residual: true, epsilon: 1e-5 });
      expectTensorsClose(model.predict(x) as tf.Tensor, expected, 1e-5);
    });
  });

  it('EfficientNet MBConv, k = 5, stride 2, SE of 0.25 of the input channels with swish (timm names)', () => {
    const args: InvertedResidualArgs = { name: 'b', inChannels: 8, outChannels: 12, expandRatio: 6, kernelSize: 5, strides: 2, activation: 'swish', se: {}, names: 'timm', epsilon: 1e-3 };
    const model = blockModel(args, 9);
    randomizeBatchNorms(model, 3);
    randomizeWeights(model, ['b.se'], 4);
    expect(model.getLayer('b.se').getConfig()).toMatchObject({ reducedChannels: 2 }); // 0.25 * 8, on 48 channels
    const roles = { expandConv: 'b.conv_pw', expandBn: 'b.bn1', dwConv: 'b.conv_dw', dwBn: 'b.bn2', se: 'b.se', projectConv: 'b.conv_pwl', projectBn: 'b.bn3' };
    tf.tidy(() => {
      const x = tf.randomNormal([2, 9, 9, 8], 0, 1, 'float32', 5) as tf.Tensor4D;
      const expected = referenceBlock(x, weightsOf(model, Object.values(roles)), { ...roles, kernelSize: 5, strides: 2, activation: swish, residual: false, epsilon: 1e-3 });
      expectTensorsClose(model.predict(x) as tf.Tensor, expected, 1e-5);
    });
  });

  it('DepthwiseSeparableConv form (t = 1) with SE and residual', () => {
    const args: InvertedResidualArgs = { name: 'd', inChannels: 8, outChannels: 8, expandRatio: 1, activation: 'swish', se: {}, names: 'timm' };
    const model = blockModel(args, 5);
    randomizeBatchNorms(model, 6);
    randomizeWeights(model, ['d.se'], 7);
    const roles = { dwConv: 'd.conv_dw', dwBn: 'd.bn1', se: 'd.se', projectConv: 'd.conv_pw', projectBn: 'd.bn2' };
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 5, 8], 0, 1, 'float32', 8) as tf.Tensor4D;
      const expected = referenceBlock(x, weightsOf(model, Object.values(roles)), { ...roles, kernelSize: 3, strides: 1, activation: swish, residual: true, epsilon: 1e-5 });
      expectTensorsClose(model.predict(x) as tf.Tensor, expected, 1e-5);
    });
  });

  it('has the gradients of the reference with respect to every trainable weight and the input', () => {
    const model = blockModel({ name: 'g', inChannels: 4, outChannels: 4, expandRatio: 3, activation: 'swish', se: { reduced: { channels: 2 } }, names: 'timm' }, 5);
    randomizeBatchNorms(model, 9);
    randomizeWeights(model, ['g.se'], 10);
    const roles = { expandConv: 'g.conv_pw', expandBn: 'g.bn1', dwConv: 'g.conv_dw', dwBn: 'g.bn2', se: 'g.se', projectConv: 'g.conv_pwl', projectBn: 'g.bn3' };
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 5, 4], 0, 1, 'float32', 11) as tf.Tensor4D;
      const target = tf.randomNormal([2, 5, 5, 4], 0, 1, 'float32', 12);
      const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, target)) as tf.Scalar;
      // Our gradients: through the layers (inference form: BN uses its moving statistics).
      const { grads } = tf.variableGrads(() => loss(model.apply(x, { training: false }) as tf.Tensor));
      const trainable = model.trainableWeights;
      // The reference's: the same weights passed in as tensors, in the same order.
      const byLayer = weightsOf(model, Object.values(roles));
      const flat: [string, number][] = Object.values(roles).flatMap((n) => (byLayer[n] as tf.Tensor[]).map((_, i) => [n, i] as [string, number]));
      const expected = tf.grads((...ws: tf.Tensor[]) => {
        const w: Record<string, tf.Tensor[]> = Object.fromEntries(Object.entries(byLayer).map(([n, list]) => [n, [...list]]));
        flat.forEach(([n, i], k) => ((w[n] as tf.Tensor[])[i] = ws[k] as tf.Tensor));
        return loss(referenceBlock(x, w, { ...roles, kernelSize: 3, strides: 1, activation: swish, residual: true, epsilon: 1e-5 }));
      })(flat.map(([n, i]) => (byLayer[n] as tf.Tensor[])[i] as tf.Tensor));
      for (const variable of trainable) {
        const [layer, ...rest] = variable.originalName.split('/');
        const index = model.getLayer(layer as string).weights.findIndex((w) => w.originalName === variable.originalName);
        const k = flat.findIndex(([n, i]) => n === layer && i === index);
        expect(k, `${variable.originalName} (${rest.join('/')})`).toBeGreaterThanOrEqual(0);
        expectTensorsClose(grads[variable.name] as tf.Tensor, expected[k] as tf.Tensor, 1e-4);
      }
      expect(Object.keys(grads)).toHaveLength(trainable.length);
    });
  });
});

describe('drop path in the block', () => {
  it('at training drops the branch for whole samples (output = input) and scales it for the others; identity at inference', () => {
    const model = blockModel({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 2, dropPathRate: 0.5, dropPathSeed: 3 }, 4);
    randomizeBatchNorms(model, 13);
    tf.tidy(() => {
      const x = tf.randomNormal([16, 4, 4, 8], 0, 1, 'float32', 14);
      const inference = model.predict(x) as tf.Tensor;
      const branch = tf.sub(inference, x); // the residual branch at inference
      const trained = model.apply(x, { training: true }) as tf.Tensor;
      // BN in training mode uses batch statistics, so compare the drop pattern, not the values.
      const delta = tf.sub(trained, x).abs().max([1, 2, 3]).dataSync();
      const dropped = Array.from(delta).filter((d) => d === 0).length;
      expect(dropped).toBeGreaterThan(0);
      expect(dropped).toBeLessThan(16);
      expect(tf.max(tf.abs(branch)).dataSync()[0]).toBeGreaterThan(0);
    });
  });

  it('adds no drop-path layer without a residual or at rate 0, and no parameters with one', () => {
    const strided = blockModel({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 2, strides: 2, dropPathRate: 0.2 }, 4);
    expect(strided.layers.some((l) => l.getClassName() === 'NetblocksStochasticDepth')).toBe(false);
    const withDrop = blockModel({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 2, dropPathRate: 0.2 }, 4);
    const without = blockModel({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 2 }, 4);
    expect(withDrop.layers.some((l) => l.getClassName() === 'NetblocksStochasticDepth')).toBe(true);
    expect(withDrop.countParams()).toBe(without.countParams());
  });
});

describe('parameters, MACs, serialization, memory', () => {
  it('counts parameters and MACs by the formula (expand, depthwise, SE FCs, projection)', () => {
    const [cin, t, cout, k, size] = [24, 6, 40, 5, 28];
    const e = cin * t;
    const cr = cin / 4;
    const model = blockModel({ name: 'b', inChannels: cin, outChannels: cout, expandRatio: t, kernelSize: k, strides: 2, activation: 'swish', se: {}, names: 'timm' }, size);
    const p = profile(model);
    expect(p.totalParams).toBe(cin * e + 4 * e + k * k * e + 4 * e + (2 * e * cr + e + cr) + e * cout + 4 * cout);
    expect(p.trainableParams).toBe(p.totalParams - 2 * (e + e + cout));
    const out = size / 2;
    expect(p.macs).toBe(size * size * cin * e + out * out * k * k * e + 2 * e * cr + out * out * e * cout);
    expect(p.unknownLayers).toEqual([]);
  });

  it('saves and loads through saveModel / loadModel (SE and drop path included)', async () => {
    const model = blockModel({ name: 'blocks.1.1', inChannels: 8, outChannels: 8, expandRatio: 4, activation: 'swish', se: {}, dropPathRate: 0.1, names: 'timm' }, 6);
    randomizeBatchNorms(model, 15);
    randomizeWeights(model, ['blocks.1.1.se'], 16);
    await saveModel(model, join(tmp, 'mbconv'));
    const loaded = await loadModel(join(tmp, 'mbconv'));
    expect(layerNames(loaded)).toEqual(layerNames(model));
    expect(loaded.getLayer('blocks.1.1.drop_path').getConfig()).toMatchObject({ rate: 0.1 });
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 17);
      expectTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    });
  });

  it('builds the same layer and weight names twice (nothing from TF.js auto-names)', () => {
    const args: InvertedResidualArgs = { name: 'b', inChannels: 8, outChannels: 8, expandRatio: 4, se: {}, names: 'timm', activation: 'swish' };
    const names = (m: tf.LayersModel) => m.weights.map((w) => w.originalName);
    expect(names(blockModel(args, 4))).toEqual(names(blockModel(args, 4)));
  });

  it('leaks no tensors', () => {
    const model = blockModel({ name: 'b', inChannels: 8, outChannels: 8, expandRatio: 4, activation: 'swish', se: {}, dropPathRate: 0.2, names: 'timm' }, 6);
    const x = tf.ones([2, 6, 6, 8]);
    (model.predict(x) as tf.Tensor).dispose();
    expectNoLeakedTensors(() => model.predict(x));
    expectNoLeakedTensors(() => model.apply(x, { training: true }));
    x.dispose();
  });
});

describe('errors name the argument and the value', () => {
  it('rejects invalid args', () => {
    const base: InvertedResidualArgs = { name: 'b', inChannels: 8, outChannels: 8, expandRatio: 6 };
    expect(() => invertedResidual({ ...base, expandRatio: 0 })).toThrow('(got expandRatio=0)');
    expect(() => invertedResidual({ ...base, inChannels: 0 })).toThrow('(got inChannels=0)');
    expect(() => invertedResidual({ ...base, names: 'keras' as 'timm' })).toThrow('(got names="keras")');
    expect(() => invertedResidual({ ...base, se: {} })).toThrow("names 'torchvision-mobilenetv2' has no block of shape 'expand+se'");
    expect(() => invertedResidual({ ...base, dropPathRate: 2 })).toThrow('(got dropPathRate=2)');
    expect(() => invertedResidual({ ...base, activation: 'gelu', se: {}, names: 'timm' })).toThrow('(got activation="gelu")');
    expect(() => invertedResidual({ ...base, padding: 'valid' as 'same' })).toThrow('(got padding="valid")');
    expect(() => invertedResidual(base)(tf.input({ shape: [4, 4, 16] }))).toThrow('built for inChannels=8 (got an input with 16 channels)');
  });
});
