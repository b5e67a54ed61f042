import { floatAttr } from './onnx-proto.js';
import type { GraphBuilder, Value } from './graph.js';

/** The GELU's tanh form's constants: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Exact GELU, x * 0.5 * (1 + erf(x / sqrt(2))), from ONNX primitives (Gelu is an op only from opset 20). */
export function geluExact(g: GraphBuilder, x: string, base: string): string {
  const erf = g.node('Erf', [g.node('Div', [x, g.scalar(Math.SQRT2)], `${base}/scaled`)], `${base}/erf`);
  const cdf = g.node('Mul', [g.node('Add', [erf, g.scalar(1)], `${base}/one_plus`), g.scalar(0.5)], `${base}/cdf`);
  return g.node('Mul', [x, cdf], base);
}

/** GELU's tanh approximation, from ONNX primitives. */
export function geluTanh(g: GraphBuilder, x: string, base: string): string {
  const cube = g.node('Mul', [g.node('Mul', [x, x], `${base}/square`), x], `${base}/cube`);
  const inner = g.node('Add', [x, g.node('Mul', [cube, g.scalar(0.044715)], `${base}/cube_scaled`)], `${base}/inner`);
  const tanh = g.node('Tanh', [g.node('Mul', [inner, g.scalar(SQRT_2_OVER_PI)], `${base}/inner_scaled`)], `${base}/tanh`);
  const half = g.node('Mul', [x, g.scalar(0.5)], `${base}/half`);
  return g.node('Mul', [half, g.node('Add', [tanh, g.scalar(1)], `${base}/one_plus`)], base);
}

/**
 * Emits the element-wise activation `activation` (a TF.js activation class name, which are also
 * netblocks' `ActivationName`s) on the tensor `x`; returns the result's name, `x` itself for
 * 'linear', or undefined when the name is not an element-wise activation this exporter knows.
 */
export function emitElementwiseActivation(g: GraphBuilder, x: string, activation: string, base: string): string | undefined {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x], base);
    case 'relu6':
      return g.clip(x, 0, 6, base);
    case 'elu':
      return g.node('Elu', [x], base, { alpha: floatAttr(1) });
    case 'selu':
      // TF.js's constants are ONNX's defaults (Klambauer et al. 2017).
      return g.node('Selu', [x], base);
    case 'sigmoid':
      return g.node('Sigmoid', [x], base);
    case 'hardSigmoid':
      // Keras' hard sigmoid: clip(0.2 x + 0.5, 0, 1).
      return g.node('HardSigmoid', [x], base, { alpha: floatAttr(0.2), beta: floatAttr(0.5) });
    case 'tanh':
      return g.node('Tanh', [x], base);
    case 'swish':
      return g.node('Mul', [x, g.node('Sigmoid', [x], `${base}/sigmoid`)], base);
    case 'gelu':
      return geluExact(g, x, base);
    case 'gelu_new':
      return geluTanh(g, x, base);
    case 'softplus':
      return g.node('Softplus', [x], base);
    case 'softsign':
      return g.node('Softsign', [x], base);
    case 'mish':
      return g.node('Mul', [x, g.node('Tanh', [g.node('Softplus', [x], `${base}/softplus`)], `${base}/tanh`)], base);
    default:
      return undefined;
  }
}

/**
 * `activation` applied to `v`, keeping its layout; softmax and log-softmax (over the TF.js last
 * axis) first bring `v` back to the native layout. Throws `error(...)` for an unknown name.
 */
export function activateValue(g: GraphBuilder, v: Value, activation: string, base: string, error: (message: string) => Error): Value {
  if (activation === 'softmax' || activation === 'logSoftmax') {
    const op = activation === 'softmax' ? 'Softmax' : 'LogSoftmax';
    return { name: g.node(op, [g.native(v)], base, { axis: -1 }), layout: 'native', shape: v.shape };
  }
  const name = emitElementwiseActivation(g, v.name, activation, base);
  if (name === undefined) throw error(`unsupported activation ${JSON.stringify(activation)}`);
  return name === v.name ? v : { name, layout: v.layout, shape: v.shape };
}
