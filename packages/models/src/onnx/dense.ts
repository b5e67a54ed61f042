import { activateValue } from './activations.js';
import { configBoolean, configString, layerError, layerWeights, nodeName, outputShape, singleInput, type LayerConverter } from './context.js';

/** tf.layers.dense on the last axis, native layout: Gemm on `[N, K]`, MatMul + Add on higher ranks;
 * the kernel `[K, U]` is used as is (ONNX's MatMul takes the same `[in, out]` form). */
const convertDense: LayerConverter = (ctx) => {
  const { g } = ctx;
  const x = singleInput(ctx);
  const useBias = configBoolean(ctx, 'useBias', true);
  const [kernel, bias] = layerWeights(ctx, useBias ? ['kernel', 'bias'] : ['kernel']);
  if (kernel === undefined) throw layerError(ctx, 'has no kernel');
  const [inputs, units] = kernel.shape as [number, number];
  const base = nodeName(ctx);
  const input = g.native(x);
  const w = g.floats(`${base}/weight`, kernel.data, [inputs, units]);
  let name: string;
  if (x.shape.length === 2) {
    name = g.node('Gemm', bias === undefined ? [input, w] : [input, w, g.floats(`${base}/bias`, bias.data, [units])], base);
  } else {
    name = g.node('MatMul', [input, w], bias === undefined ? base : `${base}/matmul`);
    if (bias !== undefined) name = g.node('Add', [name, g.floats(`${base}/bias`, bias.data, [units])], base);
  }
  const value = { name, layout: 'native' as const, shape: outputShape(ctx) };
  return activateValue(g, value, configString(ctx, 'activation', 'linear'), `${base}/act`, (m) => layerError(ctx, m));
};

/** tf.layers.flatten: `[N, ...]` -> `[N, prod]` in TF.js's (NHWC) element order. */
const convertFlatten: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  return { name: ctx.g.node('Flatten', [ctx.g.native(x)], nodeName(ctx), { axis: 1 }), layout: 'native', shape: outputShape(ctx) };
};

/** tf.layers.reshape in TF.js's element order: the shape `[0, ...targetShape]`, where ONNX's 0
 * copies the (possibly dynamic) batch size. */
const convertReshape: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const target = ctx.config['targetShape'];
  if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && (d as number) !== 0)) {
    throw layerError(ctx, `config \`targetShape\` must be non-zero integers (got targetShape=${JSON.stringify(target)})`);
  }
  const shape = ctx.g.int64s([0, ...(target as number[])]);
  return { name: ctx.g.node('Reshape', [ctx.g.native(x), shape], nodeName(ctx)), layout: 'native', shape: outputShape(ctx) };
};

export const DENSE_CONVERTERS: Record<string, LayerConverter> = {
  Dense: convertDense,
  // mlp-mixer's ChannelDense (optimizeForInference's, on rank >= 3): Dense's weights and config.
  NetblocksChannelDense: convertDense,
  Flatten: convertFlatten,
  Reshape: convertReshape,
};
