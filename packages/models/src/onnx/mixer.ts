import { geluExact, geluTanh } from './activations.js';
import { configString, layerError, layerWeights, nodeName, singleInput, type LayerConverter } from './context.js';

/** `[rows, cols]` row-major as `[cols, rows]`. */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}

/**
 * NetblocksTokenMixing on `[N, S, C]`: every channel's column of S tokens through the MLP
 * S -> D_S -> S. Written as left products so no activation is transposed:
 * `W1^T [D_S, S] x X [N, S, C] + b1 [D_S, 1]`, GELU, `W2^T [S, D_S] x H + b2 [S, 1]`.
 */
const convertTokenMixing: LayerConverter = (ctx) => {
  const { g } = ctx;
  const x = singleInput(ctx);
  const [fc1Kernel, fc1Bias, fc2Kernel, fc2Bias] = layerWeights(ctx, ['fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias']);
  if (fc1Kernel === undefined || fc1Bias === undefined || fc2Kernel === undefined || fc2Bias === undefined) throw layerError(ctx, 'has no weights');
  const [tokens, hidden] = fc1Kernel.shape as [number, number];
  const approximation = configString(ctx, 'gelu', 'exact');
  if (approximation !== 'exact' && approximation !== 'tanh') throw layerError(ctx, `unsupported gelu ${JSON.stringify(approximation)}`);
  const base = nodeName(ctx);
  const w1 = g.floats(`${base}/fc1/weight`, transpose2d(fc1Kernel.data, tokens, hidden), [hidden, tokens]);
  const h = g.node('Add', [g.node('MatMul', [w1, g.native(x)], `${base}/fc1/matmul`), g.floats(`${base}/fc1/bias`, fc1Bias.data, [hidden, 1])], `${base}/fc1`);
  const activated = (approximation === 'exact' ? geluExact : geluTanh)(g, h, `${base}/act`);
  const w2 = g.floats(`${base}/fc2/weight`, transpose2d(fc2Kernel.data, hidden, tokens), [tokens, hidden]);
  const mixed = g.node('MatMul', [w2, activated], `${base}/fc2/matmul`);
  return { name: g.node('Add', [mixed, g.floats(`${base}/fc2/bias`, fc2Bias.data, [tokens, 1])], base), layout: 'native', shape: x.shape };
};

export const MIXER_CONVERTERS: Record<string, LayerConverter> = {
  NetblocksTokenMixing: convertTokenMixing,
};
