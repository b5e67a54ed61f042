// Parity with timm: fixtures written by tools/fixtures/make_timm_fixtures.py (PyTorch modules that
// follow timm's module names and forward passes; random weights and BatchNorm statistics, eval mode)
// load into the same reduced architectures built here, give PyTorch's outputs, and save back bit-exactly.
import * as tf from '@tensorflow/tfjs';
import { NetblocksSeparableConv2D, xceptionBlock } from '@netblocks/depthwise-sep';
import { seAttention } from '@netblocks/se-block';
import { mixer } from '../src/families/mixer.js';
import { mobilenetV1 } from '../src/families/mobilenet-v1.js';
import { mobilenetV2 } from '../src/families/mobilenet-v2.js';
import { resnet } from '../src/families/resnet.js';

import { activationLayer, batchNorm } from '@netblocks/core';
import { afterAll, describe, it } from 'vitest';
import { useBackend } from '@netblocks/test-utils';
import { loadTorchWeights } from '../src/index.js';
import { buildVariant, expectFixtureParity, expectSavedBitExact, fixture } from './helpers/torch-parity.js';

useBackend('cpu');
afterAll(() => tf.disposeVariables());



/**
 * Legacy Xception has one fixed configuration (22.9 M weights), so its blocks are checked in a
 * reduced piece built with the family's own parts and timm's module names: an entry-flow block
 * (no leading ReLU, strided), a middle-flow block (identity skip), the exit-flow block
 * (`growFirst: false`), then `conv3` -> `bn3` -> `act3`, as `xceptionBackbone` composes them.
 */
function xceptionPart(): tf.LayersModel {
  const input = tf.input({ shape: [15, 15, 8], name: 'input' });
  let x = xceptionBlock({ name: 'block1', filters: 16, reps: 2, strides: 2, startWithRelu: false })(input);
  x = xceptionBlock({ name: 'block2', filters: 16, reps: 3 })(x);
  x = xceptionBlock({ name: 'block12', filters: 24, reps: 2, strides: 2, growFirst: false })(x);
  x = new NetblocksSeparableConv2D({ name: 'conv3', filters: 32, kernelSize: 3, padding: 'torch' }).apply(x) as tf.SymbolicTensor;
  x = activationLayer('relu', 'act3').apply(batchNorm('bn3').apply(x)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'xception_part' });
}

/** Each fixture and the same reduced architecture built here. */
const CASES: { name: string; make: () => tf.LayersModel }[] = [
  {
    // timm _gen_mobilenet_v2 at channel_multiplier 0.1 (head 1280), 10 classes, 32 px.
    name: 'timm_mobilenetv2_tiny',
    make: () => buildVariant('timm_mobilenetv2_tiny', mobilenetV2, { widthMultiplier: 0.1 }, 32, { numClasses: 10 }),
  },
  {
    // timm ResNet(Bottleneck, [1, 1, 1, 1], base_width=8, block_args=dict(attn_layer='se')) up to layer1, 32 px.
    name: 'timm_seresnet_tiny',
    make: () =>
      buildVariant('timm_seresnet_tiny', resnet, { layers: [1, 1, 1, 1], cardinality: 1, baseWidth: 8, attention: seAttention() }, 32, {
        features: true,
        outIndices: [1],
      }),
  },
  {
    // timm MlpMixer(patch_size=8, embed_dim=32, num_blocks=2, mlp_ratio=(0.5, 2.0)) on 32x40 (a 4x5 grid of tokens), 10 classes.
    name: 'timm_mixer_tiny',
    make: () =>
      buildVariant('timm_mixer_tiny', mixer, { patchSize: 8, channels: 32, tokenMlpDim: 16, channelMlpDim: 64, depth: 2 }, 32, {
        numClasses: 10,
        inputShape: [32, 40, 3],
      }),
  },
  {
    // timm _gen_mobilenet_v1 at channel_multiplier 0.075 (no head conv), 10 classes, 32 px.
    name: 'timm_mobilenetv1_tiny',
    make: () => buildVariant('timm_mobilenetv1_tiny', mobilenetV1, { widthMultiplier: 0.075 }, 32, { numClasses: 10 }),
  },
  { name: 'timm_xception_part', make: xceptionPart },
];

describe.each(CASES)('$name', ({ name, make }) => {
  it("loads the timm-layout state dict strictly and gives PyTorch's outputs (max|diff|/max|ref| < 1e-4)", () => {
    expectFixtureParity(name, make());
  });

  it('saves back the same state dict bit for bit (num_batches_tracked as I64 zeros)', () => {
    const model = make();
    const checkpoint = fixture(`${name}.safetensors`);
    loadTorchWeights(model, checkpoint);
    expectSavedBitExact(model, checkpoint);
  });
});
