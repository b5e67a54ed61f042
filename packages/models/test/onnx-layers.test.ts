import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ActivationLayer, FusedConv2D } from '@netblocks/core';
import { ChannelShuffle, ChannelSlice } from '@netblocks/channel-shuffle';
import { NetblocksDepthwiseConv2D, NetblocksSeparableConv2D } from '@netblocks/depthwise-sep';
import { GroupConv2D } from '@netblocks/group-conv';
import { StochasticDepth } from '@netblocks/inverted-residual';
import { Gelu, TokenMixing } from '@netblocks/mlp-mixer';
import { SqueezeExcite } from '@netblocks/se-block';
import { useBackend } from '@netblocks/test-utils';
import { exportOnnx } from '../src/index.js';
import { onnxModelOf } from '../src/onnx/export.js';
import { onnxVersusTfjs } from './helpers/onnx-runtime.js';

useBackend('wasm');
afterEach(() => tf.disposeVariables());

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/** Every weight random (biases, BN statistics and affine parameters included), variances positive,
 * from fixed seeds, so that no conversion hides behind a zero or a one. */
function randomizeWeights(model: tf.LayersModel): void {
  let seed = 11;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const fresh = tf.tidy(() =>
      layer.weights.map((w) => {
        seed += 1;
        if (/moving_variance/.test(w.originalName)) return tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', seed);
        return tf.randomNormal(w.shape as number[], 0, 0.4, 'float32', seed);
      }),
    );
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

/**
 * One model with every conversion the registered models do not all reach: TF 'same' padding at
 * stride 2 on an even input (asymmetric), explicit and dilated padding, depth multipliers, grouped
 * convs with bias and activation, pools with 'same', every activation, SE variants, shuffles and
 * slices in NCHW, merges of NCHW and NHWC values, Flatten and Reshape after NCHW convs, dense
 * layers on rank 2 and 3, BatchNorm on rank 2 and 4, LayerNorm, token mixing, identity layers and
 * netblocks' fused inference layers. Each branch is a model output, compared on its own.
 */
function zooOfLayers(): tf.LayersModel {
  const x = tf.input({ shape: [16, 16, 6], name: 'image' });
  const L = tf.layers;
  const bn = (name: string) => L.batchNormalization({ name, epsilon: 1e-3 });
  const outputs: Sym[] = [];
  // Convs.
  const conv = apply(L.conv2d({ name: 'conv_same_s2', filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }), x);
  outputs.push(apply(bn('bn4'), conv));
  outputs.push(apply(L.depthwiseConv2d({ name: 'tf_dw', kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'elu' }), x));
  outputs.push(apply(L.conv2d({ name: 'conv_dilated', filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'swish' }), x));
  const dwArgs = { depthMultiplier: 2, useBias: true };
  outputs.push(apply(new NetblocksDepthwiseConv2D({ name: 'nb_dw_same', ...dwArgs, strides: 2, padding: 'same', activation: 'hardSigmoid' }), x));
  outputs.push(apply(new NetblocksDepthwiseConv2D({ name: 'nb_dw_explicit', ...dwArgs, kernelSize: [3, 5], strides: 2, padding: [[1, 2], [2, 1]], activation: 'tanh' }), x));
  outputs.push(apply(new NetblocksDepthwiseConv2D({ name: 'nb_dw_dilated', dilationRate: 2, activation: 'sigmoid' }), x));
  outputs.push(apply(new NetblocksSeparableConv2D({ name: 'nb_sep', filters: 10, strides: 2, depthMultiplier: 2, useBias: true, activation: 'gelu' }), x));
  outputs.push(apply(new GroupConv2D({ name: 'gc_same', filters: 9, kernelSize: 3, groups: 3, strides: 2, padding: 'same', activation: 'relu' }), x));
  outputs.push(apply(new GroupConv2D({ name: 'gc_valid', filters: 4, kernelSize: [3, 1], groups: 2, padding: 'valid', useBias: false, activation: 'elu' }), x));
  outputs.push(apply(new FusedConv2D({ name: 'fused', filters: 5, kernelSize: 3, strides: 2, padding: [[1, 0], [0, 1]], activation: 'swish' }), x));
  outputs.push(apply(new FusedConv2D({ name: 'fused_dw', filters: 12, kernelSize: 3, padding: [[1, 1], [1, 1]], depthwise: true, activation: 'relu6' }), x));
  // Pools and padding.
  outputs.push(apply(L.maxPooling2d({ name: 'max_same', poolSize: 3, strides: 2, padding: 'same' }), conv));
  outputs.push(apply(L.averagePooling2d({ name: 'avg_same', poolSize: 3, strides: 2, padding: 'same' }), conv));
  outputs.push(apply(L.averagePooling2d({ name: 'avg_valid', poolSize: 2, strides: 2, padding: 'valid' }), x));
  outputs.push(apply(L.globalMaxPooling2d({ name: 'gmax' }), conv));
  outputs.push(apply(L.globalAveragePooling2d({ name: 'gavg_nhwc' }), x));
  outputs.push(apply(L.zeroPadding2d({ name: 'zpad', padding: [[1, 0], [0, 2]] }), x));
  // A ZeroPadding2D read only by convs is folded into their pads; one read by a pool stays.
  const padded = apply(L.zeroPadding2d({ name: 'zpad_conv', padding: [[2, 1], [0, 3]] }), conv);
  outputs.push(apply(L.conv2d({ name: 'conv_after_pad', filters: 3, kernelSize: 3, strides: 2, padding: 'same' }), padded));
  outputs.push(apply(L.depthwiseConv2d({ name: 'dw_after_pad', kernelSize: 2, padding: 'valid' }), padded));
  outputs.push(apply(L.maxPooling2d({ name: 'max_after_pad', poolSize: 2 }), apply(L.zeroPadding2d({ name: 'zpad_pool', padding: 1 }), conv)));
  // Squeeze-excite, both kernel layouts, every gate.
  outputs.push(apply(new SqueezeExcite({ name: 'se_torch', reducedChannels: 3, activation: 'relu6', gate: 'hardSigmoidTorch', kernelLayout: 'dense' }), conv));
  outputs.push(apply(new SqueezeExcite({ name: 'se_keras', reducedChannels: 2, activation: 'swish', gate: 'hardSigmoidKeras' }), x));
  // Shuffles and slices, on an NCHW value and on the NHWC input.
  outputs.push(apply(new ChannelShuffle({ name: 'shuffle_paper', groups: 2 }), conv));
  outputs.push(apply(new ChannelShuffle({ name: 'shuffle_megvii', groups: 3, order: 'megvii' }), x));
  outputs.push(apply(new ChannelSlice({ name: 'slice', begin: 2, size: 3 }), conv));
  // Merges of an NCHW value (a conv's) with an NHWC one (the input's), and identities.
  const same = apply(L.conv2d({ name: 'conv_same_s1', filters: 6, kernelSize: 3, padding: 'same' }), x);
  const dropped = apply(new StochasticDepth({ name: 'drop_path', rate: 0.3 }), apply(L.dropout({ name: 'dropout', rate: 0.5 }), x));
  outputs.push(apply(L.add({ name: 'add' }), [same, dropped]));
  outputs.push(apply(L.multiply({ name: 'mul' }), [x, same, x]));
  outputs.push(apply(L.average({ name: 'average' }), [same, x]));
  outputs.push(apply(L.maximum({ name: 'maximum' }), [x, same]));
  outputs.push(apply(L.concatenate({ name: 'concat' }), [x, same]));
  // Element-wise activations.
  for (const activation of ['gelu', 'gelu_new', 'selu', 'softplus', 'softsign', 'mish', 'hardSigmoid']) {
    outputs.push(apply(L.activation({ name: `act_${activation}`, activation: activation as 'relu' }), same));
  }
  outputs.push(apply(new ActivationLayer({ name: 'nb_act', activation: 'gelu' }), same));
  outputs.push(apply(new Gelu({ name: 'gelu_tanh', approximation: 'tanh' }), same));
  outputs.push(apply(L.reLU({ name: 'relu_capped', maxValue: 0.5 }), same));
  // Layouts that matter: Flatten and Reshape of an NCHW conv output, dense layers, norms, mixing.
  const flat = apply(L.flatten({ name: 'flatten' }), conv);
  const dense = apply(L.dense({ name: 'dense', units: 7, useBias: false }), flat);
  outputs.push(apply(L.dense({ name: 'dense_softmax', units: 5, activation: 'softmax' }), apply(bn('bn2'), dense)));
  const tokens = apply(L.reshape({ name: 'tokens', targetShape: [64, 8] }), conv);
  const normed = apply(L.layerNormalization({ name: 'ln', epsilon: 1e-6 }), tokens);
  const mixed = apply(new TokenMixing({ name: 'token_mixing', tokenMlpDim: 12 }), normed);
  const mixedTanh = apply(new TokenMixing({ name: 'token_mixing_tanh', tokenMlpDim: 5, gelu: 'tanh' }), mixed);
  outputs.push(apply(L.dense({ name: 'dense3', units: 3, activation: 'tanh' }), mixedTanh));
  outputs.push(apply(new SqueezeExcite({ name: 'se_rank3', reducedChannels: 2 }), tokens));
  const model = tf.model({ inputs: x, outputs, name: 'zoo' });
  randomizeWeights(model);
  return model;
}

describe('exportOnnx on each layer conversion', () => {
  it.each([13, 17, 18, 21])('opset %i: onnxruntime-node matches every output within 1e-4 relative', async (opset) => {
    const model = zooOfLayers();
    const x = tf.randomNormal([2, 16, 16, 6], 0, 1, 'float32', 5);
    const diff = await onnxVersusTfjs(model, x, { opset });
    expect(diff).toBeLessThanOrEqual(1e-4);
    x.dispose();
    model.dispose();
  });

  it('folds a ZeroPadding2D read only by convs into their pads, and keeps one read by a pool or as an output', () => {
    const model = zooOfLayers();
    const nodes = onnxModelOf(model).graph.nodes;
    const pads = nodes.filter((n) => n.opType === 'Pad').map((n) => n.name);
    // 'zpad' is also a graph output, so its Pad node is 'zpad_1', feeding an Identity named 'zpad'.
    expect(pads.sort()).toEqual(['zpad_1', 'zpad_pool']);
    const conv = nodes.find((n) => n.opType === 'Conv' && n.name.startsWith('conv_after_pad'));
    // 'same' at stride 2 on the 11 x 11 padded map adds [1, 1] on each axis to the folded [2, 1] and [0, 3].
    expect(conv?.attributes['pads']).toEqual([3, 1, 2, 4]);
    model.dispose();
  });

  it('inlines a model used as a layer', async () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', name: 'inner_conv' }), tf.layers.reLU({ name: 'inner_relu' })],
    });
    const x = tf.input({ shape: [8, 8, 3], name: 'x' });
    const y = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), apply(inner as unknown as tf.layers.Layer, x));
    const model = tf.model({ inputs: x, outputs: y });
    randomizeWeights(inner);
    const input = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
    expect(await onnxVersusTfjs(model, input)).toBeLessThanOrEqual(1e-4);
    input.dispose();
    model.dispose();
  });
});

describe('exportOnnx errors', () => {
  /** A layer class the exporter does not know. */
  class Mystery extends tf.layers.Layer {
    static className = 'MysteryLayer';
    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.neg(Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs);
    }
  }

  function tinyModel(): tf.LayersModel {
    const x = tf.input({ shape: [4, 4, 2], name: 'x' });
    return tf.model({ inputs: x, outputs: apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }), x) });
  }

  it('names the layer and its class when a class has no converter', () => {
    const x = tf.input({ shape: [4, 4, 2] });
    const model = tf.model({ inputs: x, outputs: apply(new Mystery({ name: 'odd_one' }), x) });
    expect(() => exportOnnx(model)).toThrow(/layer "odd_one" has class MysteryLayer/);
  });

  it('rejects an opset below 13 or above 21, and a batch size that is not a positive integer', () => {
    const model = tinyModel();
    expect(() => exportOnnx(model, { opset: 12 })).toThrow(/`opset` must be an integer from 13 to 21 \(got opset=12\)/);
    expect(() => exportOnnx(model, { opset: 22 })).toThrow(/got opset=22/);
    expect(() => exportOnnx(model, { batchSize: 0 })).toThrow(/`batchSize` must be a positive integer or null \(got batchSize=0\)/);
    expect(() => exportOnnx({} as tf.LayersModel)).toThrow(/`model` must be a tf.LayersModel/);
  });

  it('names the layer for an unsupported config value', () => {
    const x = tf.input({ shape: [4, 4, 2] });
    const model = tf.model({ inputs: x, outputs: apply(tf.layers.activation({ name: 'soft', activation: 'relu' }), x) });
    const layer = model.getLayer('soft');
    const original = layer.getConfig.bind(layer);
    layer.getConfig = () => ({ ...original(), activation: 'wobble' });
    expect(() => exportOnnx(model)).toThrow(/layer "soft" \(Activation\): unsupported activation "wobble"/);
  });
});
