import { samePadding } from '@netblocks/core';
import { configPair, configString, layerError, nodeName, outputShape, requireChannelsLast, singleInput, spatialSize, type LayerConverter } from './context.js';

/**
 * tf.layers.maxPooling2d / averagePooling2d in NCHW. TF's 'same' pads asymmetrically (the odd
 * extra at the bottom/right) from the known input size; padded positions never win a max (ONNX's
 * MaxPool ignores pads) and are not counted in an average (count_include_pad = 0), as in TF.
 */
function pool(opType: 'MaxPool' | 'AveragePool'): LayerConverter {
  return (ctx) => {
    requireChannelsLast(ctx);
    const x = singleInput(ctx);
    const kernel = configPair(ctx, 'poolSize');
    const strides = configPair(ctx, 'strides', kernel[0]);
    const padding = configString(ctx, 'padding', 'valid');
    let pads = [0, 0, 0, 0];
    if (padding === 'same') {
      const [h, w] = spatialSize(ctx, x.shape);
      const [top, bottom] = samePadding(h, kernel[0], strides[0]);
      const [left, right] = samePadding(w, kernel[1], strides[1]);
      pads = [top, left, bottom, right];
    } else if (padding !== 'valid') {
      throw layerError(ctx, `unsupported padding ${JSON.stringify(padding)} (expected 'valid' or 'same')`);
    }
    const attributes = { kernel_shape: kernel, strides, pads, ...(opType === 'AveragePool' ? { count_include_pad: 0 } : {}) };
    return { name: ctx.g.node(opType, [ctx.g.nchw(x)], nodeName(ctx), attributes), layout: 'nchw', shape: outputShape(ctx) };
  };
}

/** Global average / max over height and width, `[N, C]`: a global pool in NCHW then a flatten; an
 * average of an NHWC tensor is a reduction over axes 1 and 2 (no transpose). */
function globalPool(kind: 'Average' | 'Max'): LayerConverter {
  return (ctx) => {
    requireChannelsLast(ctx);
    if (ctx.config['keepDims'] === true) throw layerError(ctx, 'keepDims: true is not supported');
    const { g } = ctx;
    const x = singleInput(ctx);
    const base = nodeName(ctx);
    if (x.layout === 'nchw' || kind === 'Max') {
      const pooled = g.node(`Global${kind}Pool`, [g.nchw(x)], `${base}/pool`);
      return { name: g.node('Flatten', [pooled], base, { axis: 1 }), layout: 'native', shape: outputShape(ctx) };
    }
    if (x.shape.length !== 4) throw layerError(ctx, `expects a rank-4 input (got rank ${x.shape.length})`);
    const name = g.reduceMean(x.name, [1, 2], false, base);
    return { name, layout: 'native', shape: outputShape(ctx) };
  };
}

/** tf.layers.zeroPadding2d: a constant-zero Pad of height and width, in NCHW (a conv follows). */
const convertZeroPadding2D: LayerConverter = (ctx) => {
  requireChannelsLast(ctx);
  const x = singleInput(ctx);
  const padding = ctx.config['padding'];
  const ok = Array.isArray(padding) && padding.length === 2 && padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v)));
  if (!ok) throw layerError(ctx, `config \`padding\` must be [[top, bottom], [left, right]] (got padding=${JSON.stringify(padding)})`);
  const [[top, bottom], [left, right]] = padding as unknown as [[number, number], [number, number]];
  // ONNX pads: [begin of N, C, H, W, end of N, C, H, W].
  const name = ctx.g.pad(ctx.g.nchw(x), [0, 0, top, left, 0, 0, bottom, right], nodeName(ctx));
  return { name, layout: 'nchw', shape: outputShape(ctx) };
};

export const POOLING_CONVERTERS: Record<string, LayerConverter> = {
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('Average'),
  GlobalMaxPooling2D: globalPool('Max'),
  ZeroPadding2D: convertZeroPadding2D,
};
