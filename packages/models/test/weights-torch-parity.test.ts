// Parity with PyTorch: fixtures written by tools/fixtures/make_torch_fixtures.py (torchvision's own
// classes, random weights and BatchNorm statistics, eval mode) load into the same reduced
// architectures built here, give PyTorch's outputs, and save back bit-exactly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors } from '@netblocks/core';
import { afterAll, describe, expect, it } from 'vitest';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { buildModel, type NetblocksModel } from '../src/build.js';
import { efficientNet } from '../src/families/efficientnet.js';
import { resnet } from '../src/families/resnet.js';
import { shuffleNetV2 } from '../src/families/shufflenet-v2.js';
import { squeezenet } from '../src/families/squeezenet.js';
import { vgg } from '../src/families/vgg.js';
import type { FamilyDefinition, ModelOptions } from '../src/types.js';
import { loadTorchWeights, saveTorchWeights } from '../src/index.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());

// Node Buffers straight from readFileSync, as users will pass them.
const fixture = (file: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url)));
const noReference = { totalParams: 0, trainableParams: 0 };

function build<C>(name: string, family: FamilyDefinition<C>, config: C, size: number, options: ModelOptions): NetblocksModel {
  return buildModel(name, family, { config, inputSize: size, reference: noReference }, { inputShape: [size, size, 3], ...options });
}

/** Each fixture and the same reduced architecture built from the family's own builder. */
const CASES: { name: string; make: () => NetblocksModel }[] = [
  {
    // torchvision ShuffleNetV2([4, 8, 4], [24, 24, 48, 96, 256], num_classes=10) at 48 px.
    name: 'shufflenet_v2_tiny',
    make: () => build('shufflenet_v2_tiny', shuffleNetV2, { widths: [24, 24, 48, 96, 256] }, 48, { numClasses: 10 }),
  },
  {
    // torchvision ResNet(Bottleneck, [1, 1, 1, 1], groups=4, width_per_group=4) up to layer1, at 33 px.
    name: 'resnext_tiny',
    make: () => build('resnext_tiny', resnet, { layers: [1, 1, 1, 1], cardinality: 4, baseWidth: 4 }, 33, { features: true, outIndices: [1] }),
  },
  {
    // torchvision EfficientNet(_efficientnet_conf('efficientnet_b0', width_mult=0.125, depth_mult=0.25), num_classes=10) at 48 px.
    name: 'efficientnet_tiny',
    make: () => build('efficientnet_tiny', efficientNet, { widthCoefficient: 0.125, depthCoefficient: 0.25 }, 48, { numClasses: 10, dropRate: 0.2 }),
  },
  {
    // torchvision squeezenet1_1's features.0-4 (stem, ceil-mode max-pool, two Fire modules) at 49 px.
    name: 'squeezenet_tiny',
    make: () => build('squeezenet_tiny', squeezenet, squeezenet.variants.squeezenet1_1!.config, 49, { features: true, outIndices: [1] }),
  },
  {
    // torchvision vgg16_bn's features.0-5 (its first stage, before the first max-pool) at 32 px.
    name: 'vgg_bn_tiny',
    make: () => build('vgg_bn_tiny', vgg, vgg.variants.vgg16_bn!.config, 32, { features: true, outIndices: [0] }),
  },
];

describe.each(CASES)('$name', ({ name, make }) => {
  const checkpoint = fixture(`${name}.safetensors`);
  const io = readSafetensors(fixture(`${name}.io.safetensors`));

  it("loads PyTorch's state dict strictly and gives PyTorch's outputs (max|diff|/max|ref| < 1e-4)", () => {
    const model = make();
    const report = loadTorchWeights(model, checkpoint);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.mismatched).toEqual([]);
    expect(report.loaded.length).toBe(model.weights.length);
    const [input, expected] = [io.toTensor('input'), io.toTensor('output')];
    const output = model.predict(input) as tf.Tensor;
    expect(output.shape).toEqual(expected.shape);
    const difference = maxRelativeDifference(output, expected);
    console.info(`${name}: max|diff|/max|ref| vs PyTorch = ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-4);
    tf.dispose([input, expected, output]);
  });

  it('saves back the same state dict bit for bit (num_batches_tracked as I64 zeros)', () => {
    const model = make();
    loadTorchWeights(model, checkpoint);
    const original = readSafetensors(checkpoint);
    const saved = readSafetensors(saveTorchWeights(model));
    expect(saved.names().sort()).toEqual(original.names().sort());
    for (const key of original.names()) {
      if (key.endsWith('.num_batches_tracked')) {
        expect(saved.get(key)).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([0n]) });
        continue;
      }
      expect(saved.info(key), key).toEqual(original.info(key));
      expect(Buffer.from(saved.rawBytes(key)).equals(Buffer.from(original.rawBytes(key))), `${key} differs`).toBe(true);
    }
  });
});
