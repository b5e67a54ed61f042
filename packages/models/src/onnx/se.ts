import { emitElementwiseActivation } from './activations.js';
import { configString, layerError, layerWeights, nodeName, singleInput, type LayerContext, type LayerConverter } from './context.js';
import { hwioToOihw } from './conv.js';
import { floatAttr } from './onnx-proto.js';

/** The SE gate as ONNX ops: sigmoid; Keras' hard sigmoid clip(0.2 x + 0.5, 0, 1); PyTorch's
 * relu6(x + 3) / 6, which is the hard sigmoid with alpha 1/6 and beta 0.5. */
function emitGate(ctx: LayerContext, x: string, base: string): string {
  const gate = configString(ctx, 'gate', 'sigmoid');
  switch (gate) {
    case 'sigmoid':
      return ctx.g.node('Sigmoid', [x], base);
    case 'hardSigmoidKeras':
      return ctx.g.node('HardSigmoid', [x], base, { alpha: floatAttr(0.2), beta: floatAttr(0.5) });
    case 'hardSigmoidTorch':
      return ctx.g.node('HardSigmoid', [x], base, { alpha: floatAttr(1 / 6), beta: floatAttr(0.5) });
    default:
      throw layerError(ctx, `unsupported gate ${JSON.stringify(gate)}`);
  }
}

/**
 * NetblocksSqueezeExcite: s = gate(W2 act(W1 mean(x) + b1) + b2), y = x * s per channel. On an image
 * tensor, in NCHW: GlobalAveragePool, the two FCs as 1x1 Convs (kernels `[1, 1, in, out]` or
 * `[in, out]`, both HWIO with a 1x1 window), and a broadcast Mul. On other ranks, in the native
 * layout: a mean over the positions and two MatMuls.
 */
const convertSqueezeExcite: LayerConverter = (ctx) => {
  const { g } = ctx;
  const x = singleInput(ctx);
  const [w1, b1, w2, b2] = layerWeights(ctx, ['reduce kernel', 'reduce bias', 'expand kernel', 'expand bias']);
  if (w1 === undefined || b1 === undefined || w2 === undefined || b2 === undefined) throw layerError(ctx, 'has no weights');
  const channels = b2.data.length;
  const reduced = b1.data.length;
  const base = nodeName(ctx);
  const activation = configString(ctx, 'activation', 'relu');
  const act = (h: string) => {
    const name = emitElementwiseActivation(g, h, activation, `${base}/act`);
    if (name === undefined) throw layerError(ctx, `unsupported activation ${JSON.stringify(activation)}`);
    return name;
  };
  if (x.shape.length === 4) {
    const input = g.nchw(x);
    const pooled = g.node('GlobalAveragePool', [input], `${base}/squeeze`);
    const reduceW = g.floats(`${base}/reduce/weight`, hwioToOihw(w1.data, [1, 1, channels, reduced]), [reduced, channels, 1, 1]);
    const hidden = g.node('Conv', [pooled, reduceW, g.floats(`${base}/reduce/bias`, b1.data, [reduced])], `${base}/reduce`, { kernel_shape: [1, 1] });
    const expandW = g.floats(`${base}/expand/weight`, hwioToOihw(w2.data, [1, 1, reduced, channels]), [channels, reduced, 1, 1]);
    const expanded = g.node('Conv', [act(hidden), expandW, g.floats(`${base}/expand/bias`, b2.data, [channels])], `${base}/expand`, { kernel_shape: [1, 1] });
    return { name: g.node('Mul', [input, emitGate(ctx, expanded, `${base}/gate`)], base), layout: 'nchw', shape: x.shape };
  }
  const input = g.native(x);
  const positions = x.shape.slice(1, -1).map((_, i) => i + 1);
  const pooled = g.reduceMean(input, positions, true, `${base}/squeeze`);
  const reduceW = g.floats(`${base}/reduce/weight`, w1.data, [channels, reduced]);
  const hidden = g.node('Add', [g.node('MatMul', [pooled, reduceW], `${base}/reduce/matmul`), g.floats(`${base}/reduce/bias`, b1.data, [reduced])], `${base}/reduce`);
  const expandW = g.floats(`${base}/expand/weight`, w2.data, [reduced, channels]);
  const expanded = g.node('Add', [g.node('MatMul', [act(hidden), expandW], `${base}/expand/matmul`), g.floats(`${base}/expand/bias`, b2.data, [channels])], `${base}/expand`);
  return { name: g.node('Mul', [input, emitGate(ctx, expanded, `${base}/gate`)], base), layout: 'native', shape: x.shape };
};

export const SE_CONVERTERS: Record<string, LayerConverter> = {
  NetblocksSqueezeExcite: convertSqueezeExcite,
};
