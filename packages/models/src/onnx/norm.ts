import { configBoolean, configNumber, layerError, layerWeights, nodeName, singleInput, type LayerContext, type LayerConverter } from './context.js';
import { floatAttr } from './onnx-proto.js';
import type { Value } from './graph.js';

/** The config's `axis` as a sorted list of non-negative axes of a rank-`rank` tensor. */
function configAxes(ctx: LayerContext, rank: number): number[] {
  const raw = ctx.config['axis'] ?? -1;
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((a) => typeof a === 'number' && Number.isInteger(a))) throw layerError(ctx, `config \`axis\` must be integers (got axis=${JSON.stringify(raw)})`);
  return (list as number[]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/** The weights of a layer with optional `gamma` (scale) and `beta` (center), then `rest`; a missing
 * gamma reads as ones and a missing beta as zeros, of the size of `rest[0]` or of gamma/beta. */
function scaleAndShift(ctx: LayerContext, rest: readonly string[]): { gamma: Float32Array; beta: Float32Array; others: Float32Array[]; shape: readonly number[] } {
  const scale = configBoolean(ctx, 'scale', true);
  const center = configBoolean(ctx, 'center', true);
  const names = [...(scale ? ['gamma'] : []), ...(center ? ['beta'] : []), ...rest];
  const weights = layerWeights(ctx, names);
  const shape = weights[0]?.shape;
  if (shape === undefined) throw layerError(ctx, 'has neither scale, center nor statistics; nothing to export');
  const size = shape.reduce((a, b) => a * b, 1);
  let i = 0;
  const gamma = scale ? (weights[i++]?.data as Float32Array) : new Float32Array(size).fill(1);
  const beta = center ? (weights[i++]?.data as Float32Array) : new Float32Array(size);
  return { gamma, beta, others: weights.slice(i).map((w) => w.data), shape };
}

/**
 * BatchNormalization (inference: moving statistics). On an image tensor it is ONNX's
 * BatchNormalization in NCHW (runtimes fold it into the conv before it); on other ranks, over the
 * last axis, the per-channel affine map y = x * s + t with s = gamma / sqrt(var + eps),
 * t = beta - mean * s.
 */
const convertBatchNormalization: LayerConverter = (ctx) => {
  const { g } = ctx;
  const x = singleInput(ctx);
  const rank = x.shape.length;
  const axes = configAxes(ctx, rank);
  const epsilon = configNumber(ctx, 'epsilon', 1e-3);
  if (axes.length !== 1 || axes[0] !== rank - 1) throw layerError(ctx, `only the channel (last) axis is supported (got axis=${JSON.stringify(ctx.config['axis'])})`);
  const { gamma, beta, others, shape } = scaleAndShift(ctx, ['moving_mean', 'moving_variance']);
  const [mean, variance] = others as [Float32Array, Float32Array];
  const base = nodeName(ctx);
  if (rank === 4) {
    const inputs = [g.nchw(x), g.floats(`${base}/scale`, gamma, shape), g.floats(`${base}/bias`, beta, shape)];
    inputs.push(g.floats(`${base}/mean`, mean, shape), g.floats(`${base}/var`, variance, shape));
    return { name: g.node('BatchNormalization', inputs, base, { epsilon: floatAttr(epsilon) }), layout: 'nchw', shape: x.shape };
  }
  const s = gamma.map((v, c) => v / Math.sqrt((variance[c] as number) + epsilon));
  const t = beta.map((v, c) => v - (mean[c] as number) * (s[c] as number));
  const scaled = g.node('Mul', [g.native(x), g.floats(`${base}/scale`, s, shape)], `${base}/scaled`);
  return { name: g.node('Add', [scaled, g.floats(`${base}/shift`, t, shape)], base), layout: 'native', shape: x.shape };
};

/**
 * LayerNormalization over the config's trailing axes, in the native layout: ONNX's
 * LayerNormalization from opset 17, before that its definition, (x - mean) / sqrt(var + eps) *
 * gamma + beta with the biased variance (as TF.js's moments).
 */
const convertLayerNormalization: LayerConverter = (ctx) => {
  const { g } = ctx;
  const x = singleInput(ctx);
  const rank = x.shape.length;
  const axes = configAxes(ctx, rank);
  const trailing = axes.every((a, i) => a === rank - axes.length + i);
  if (axes.length === 0 || !trailing) throw layerError(ctx, `only trailing axes can be normalized (got axis=${JSON.stringify(ctx.config['axis'])}, rank ${rank})`);
  const epsilon = configNumber(ctx, 'epsilon', 1e-3);
  const { gamma, beta, shape } = scaleAndShift(ctx, []);
  const base = nodeName(ctx);
  const input = g.native(x);
  const gammaName = g.floats(`${base}/gamma`, gamma, shape);
  const betaName = g.floats(`${base}/beta`, beta, shape);
  const first = axes[0] as number;
  if (g.opset >= 17) {
    const name = g.node('LayerNormalization', [input, gammaName, betaName], base, { axis: first, epsilon: floatAttr(epsilon) });
    return { name, layout: 'native', shape: x.shape } satisfies Value;
  }
  const mean = g.reduceMean(input, axes, true, `${base}/mean`);
  const centered = g.node('Sub', [input, mean], `${base}/centered`);
  const variance = g.reduceMean(g.node('Mul', [centered, centered], `${base}/squared`), axes, true, `${base}/variance`);
  const std = g.node('Sqrt', [g.node('Add', [variance, g.scalar(epsilon)], `${base}/variance_eps`)], `${base}/std`);
  const normalized = g.node('Div', [centered, std], `${base}/normalized`);
  const scaled = g.node('Mul', [normalized, gammaName], `${base}/scaled`);
  return { name: g.node('Add', [scaled, betaName], base), layout: 'native', shape: x.shape };
};

export const NORM_CONVERTERS: Record<string, LayerConverter> = {
  BatchNormalization: convertBatchNormalization,
  LayerNormalization: convertLayerNormalization,
  // mlp-mixer's LayerNorm (optimizeForInference's): LayerNormalization's weights and config, axis -1.
  NetblocksLayerNorm: convertLayerNormalization,
};
