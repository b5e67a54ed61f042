import { activateValue, geluExact, geluTanh } from './activations.js';
import { configNumber, configString, layerError, nodeName, outputShape, singleInput, type LayerConverter } from './context.js';
import { commonLayout, layoutAxis, type Value } from './graph.js';

/** Layers that are the identity at inference (Dropout; NetblocksStochasticDepth drops paths only
 * when training): no node, the input passes through in its layout. */
const identity: LayerConverter = (ctx) => singleInput(ctx);

/** tf.layers.activation and NetblocksActivation: `activation` by name (the same names and functions;
 * see core's applyActivation), element-wise in either layout. */
const convertActivation: LayerConverter = (ctx) =>
  activateValue(ctx.g, singleInput(ctx), configString(ctx, 'activation'), nodeName(ctx), (m) => layerError(ctx, m));

/** tf.layers.reLU: max(x, 0), capped at `maxValue` when set. */
const convertReLU: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const max = ctx.config['maxValue'];
  const base = nodeName(ctx);
  const name = max == null ? ctx.g.node('Relu', [x.name], base) : ctx.g.clip(x.name, 0, configNumber(ctx, 'maxValue'), base);
  return { name, layout: x.layout, shape: x.shape };
};

/** NetblocksGelu: exact (erf) or tanh GELU. */
const convertGelu: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const approximation = configString(ctx, 'approximation', 'exact');
  if (approximation !== 'exact' && approximation !== 'tanh') throw layerError(ctx, `unsupported approximation ${JSON.stringify(approximation)}`);
  const name = (approximation === 'exact' ? geluExact : geluTanh)(ctx.g, x.name, nodeName(ctx));
  return { name, layout: x.layout, shape: x.shape };
};

/** The inputs of a merge layer, all in one layout (NCHW when one of them already is). */
function mergeInputs(ctx: Parameters<LayerConverter>[0]): { names: string[]; layout: Value['layout'] } {
  if (ctx.inputs.length < 2) throw layerError(ctx, `expects at least two inputs (got ${ctx.inputs.length})`);
  const layout = commonLayout(ctx.inputs);
  return { names: ctx.inputs.map((v) => ctx.g.as(v, layout)), layout };
}

/** Element-wise merges of same-shaped inputs: Add (Sum for more than two), Multiply, Average, Maximum, Minimum. */
function merge(binary: string, variadic: string): LayerConverter {
  return (ctx) => {
    const { names, layout } = mergeInputs(ctx);
    const op = names.length === 2 && binary !== '' ? binary : variadic;
    return { name: ctx.g.node(op, names, nodeName(ctx)), layout, shape: outputShape(ctx) };
  };
}

/** Multiply has no variadic ONNX op: a chain of Mul. */
const convertMultiply: LayerConverter = (ctx) => {
  const { names, layout } = mergeInputs(ctx);
  let product = names[0] as string;
  names.slice(1).forEach((n, i) => {
    product = ctx.g.node('Mul', [product, n], i === names.length - 2 ? nodeName(ctx) : nodeName(ctx, `mul${i}`));
  });
  return { name: product, layout, shape: outputShape(ctx) };
};

/** tf.layers.concatenate along `axis` (TF.js axis, default -1), mapped to the inputs' layout. */
const convertConcatenate: LayerConverter = (ctx) => {
  const { names, layout } = mergeInputs(ctx);
  const first = ctx.inputs[0] as Value;
  const axis = layoutAxis({ ...first, layout }, configNumber(ctx, 'axis', -1));
  return { name: ctx.g.node('Concat', names, nodeName(ctx), { axis }), layout, shape: outputShape(ctx) };
};

export const ELEMENTWISE_CONVERTERS: Record<string, LayerConverter> = {
  Dropout: identity,
  NetblocksStochasticDepth: identity,
  Activation: convertActivation,
  NetblocksActivation: convertActivation,
  ReLU: convertReLU,
  NetblocksGelu: convertGelu,
  Add: merge('Add', 'Sum'),
  Average: merge('', 'Mean'),
  Maximum: merge('', 'Max'),
  Minimum: merge('', 'Min'),
  Multiply: convertMultiply,
  Concatenate: convertConcatenate,
};
