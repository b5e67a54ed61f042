import * as tf from '@tensorflow/tfjs';

/** MobileNetV2-1.0 inverted-residual settings (t = expansion, c = channels, n = repeats, s = first stride). */
const INVERTED_RESIDUAL_SETTINGS: ReadonlyArray<readonly [t: number, c: number, n: number, s: number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/** conv (no bias) -> BN -> optional ReLU6, as torchvision's Conv2dNormActivation. */
function convBn(x: Sym, name: string, filters: number, kernelSize: number, strides: number, relu6: boolean): Sym {
  let y = apply(tf.layers.conv2d({ name: `${name}_conv`, filters, kernelSize, strides, padding: 'same', useBias: false }), x);
  y = apply(tf.layers.batchNormalization({ name: `${name}_bn`, epsilon: 1e-5, momentum: 0.9 }), y);
  return relu6 ? apply(tf.layers.reLU({ name: `${name}_relu`, maxValue: 6 }), y) : y;
}

function invertedResidual(x: Sym, name: string, inChannels: number, outChannels: number, strides: number, t: number): Sym {
  let y = t === 1 ? x : convBn(x, `${name}_expand`, inChannels * t, 1, 1, true);
  y = apply(
    tf.layers.depthwiseConv2d({ name: `${name}_dw_conv`, kernelSize: 3, strides, padding: 'same', useBias: false }),
    y,
  );
  y = apply(tf.layers.batchNormalization({ name: `${name}_dw_bn`, epsilon: 1e-5, momentum: 0.9 }), y);
  y = apply(tf.layers.reLU({ name: `${name}_dw_relu`, maxValue: 6 }), y);
  y = convBn(y, `${name}_project`, outChannels, 1, 1, false);
  if (strides === 1 && inChannels === outChannels) y = apply(tf.layers.add({ name: `${name}_add` }), [x, y]);
  return y;
}

/**
 * MobileNetV2-1.0 in torchvision's layout, from plain tf.layers only, at a fixed input size
 * (default 224x224x3) with a 1000-class head. Test-only: it exists to check `profile`.
 */
export function buildMobileNetV2Plain(inputSize = 224): tf.LayersModel {
  const input = tf.input({ name: 'input', shape: [inputSize, inputSize, 3] });
  let x = convBn(input, 'stem', 32, 3, 2, true);
  let channels = 32;
  let block = 1;
  for (const [t, c, n, s] of INVERTED_RESIDUAL_SETTINGS) {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(x, `block_${block}`, channels, c, i === 0 ? s : 1, t);
      channels = c;
      block += 1;
    }
  }
  x = convBn(x, 'head', 1280, 1, 1, true);
  x = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  x = apply(tf.layers.dropout({ name: 'dropout', rate: 0.2 }), x);
  x = apply(tf.layers.dense({ name: 'classifier', units: 1000 }), x);
  return tf.model({ inputs: input, outputs: x, name: 'mobilenet_v2_plain' });
}
