// Parity with PyTorch: fixtures written by tools/fixtures/make_torch_fixtures.py (torchvision's own
// classes, random weights and BatchNorm statistics, eval mode) load into the same reduced
// architectures built here, give PyTorch's outputs, and save back bit-exactly.
import * as tf from '@tensorflow/tfjs';
import { efficientNet } from '../src/families/efficientnet.js';
import { resnet } from '../src/families/resnet.js';
import { shuffleNetV2 } from '../src/families/shufflenet-v2.js';
import { squeezenet } from '../src/families/squeezenet.js';
import { vgg } from '../src/families/vgg.js';

import { afterAll, describe, it } from 'vitest';
import { useBackend } from '@netblocks/test-utils';
import type { NetblocksModel } from '../src/build.js';
import { loadTorchWeights } from '../src/index.js';
import { buildVariant, expectFixtureParity, expectSavedBitExact, fixture } from './helpers/torch-parity.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());



/** Each fixture and the same reduced architecture built from the family's own builder. */
const CASES: { name: string; make: () => NetblocksModel }[] = [
  {
    // torchvision ShuffleNetV2([4, 8, 4], [24, 24, 48, 96, 256], num_classes=10) at 48 px.
    name: 'shufflenet_v2_tiny',
    make: () => buildVariant('shufflenet_v2_tiny', shuffleNetV2, { widths: [24, 24, 48, 96, 256] }, 48, { numClasses: 10 }),
  },
  {
    // torchvision ResNet(Bottleneck, [1, 1, 1, 1], groups=4, width_per_group=4) up to layer1, at 33 px.
    name: 'resnext_tiny',
    make: () => buildVariant('resnext_tiny', resnet, { layers: [1, 1, 1, 1], cardinality: 4, baseWidth: 4 }, 33, { features: true, outIndices: [1] }),
  },
  {
    // torchvision EfficientNet(_efficientnet_conf('efficientnet_b0', width_mult=0.125, depth_mult=0.25), num_classes=10) at 48 px.
    name: 'efficientnet_tiny',
    make: () => buildVariant('efficientnet_tiny', efficientNet, { widthCoefficient: 0.125, depthCoefficient: 0.25 }, 48, { numClasses: 10, dropRate: 0.2 }),
  },
  {
    // torchvision squeezenet1_1's features.0-4 (stem, ceil-mode max-pool, two Fire modules) at 49 px.
    name: 'squeezenet_tiny',
    make: () => buildVariant('squeezenet_tiny', squeezenet, squeezenet.variants.squeezenet1_1!.config, 49, { features: true, outIndices: [1] }),
  },
  {
    // torchvision vgg16_bn's features.0-5 (its first stage, before the first max-pool) at 32 px.
    name: 'vgg_bn_tiny',
    make: () => buildVariant('vgg_bn_tiny', vgg, vgg.variants.vgg16_bn!.config, 32, { features: true, outIndices: [0] }),
  },
];

describe.each(CASES)('$name', ({ name, make }) => {
  it("loads PyTorch's state dict strictly and gives PyTorch's outputs (max|diff|/max|ref| < 1e-4)", () => {
    expectFixtureParity(name, make());
  });

  it('saves back the same state dict bit for bit (num_batches_tracked as I64 zeros)', () => {
    const model = make();
    const checkpoint = fixture(`${name}.safetensors`);
    loadTorchWeights(model, checkpoint);
    expectSavedBitExact(model, checkpoint);
  });
});
