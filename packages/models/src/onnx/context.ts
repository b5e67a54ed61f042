import type * as tf from '@tensorflow/tfjs';
import type { GraphBuilder, Value } from './graph.js';

type Shape = ReadonlyArray<number | null>;

/** Everything a converter sees of one call of one layer. */
export interface LayerContext {
  readonly g: GraphBuilder;
  readonly layer: tf.layers.Layer;
  readonly className: string;
  readonly config: tf.serialization.ConfigDict;
  /** The call's inputs, in whatever layout their producers left them. */
  readonly inputs: readonly Value[];
  /** TF.js shapes of the call's outputs. */
  readonly outputShapes: readonly Shape[];
}

/** Turns one layer call into ONNX nodes; returns its outputs (one Value per output tensor). */
export type LayerConverter = (ctx: LayerContext) => Value | Value[];

/** An Error that names the layer and its class. */
export function layerError(ctx: LayerContext, message: string): Error {
  return new Error(`exportOnnx: layer "${ctx.layer.name}" (${ctx.className}): ${message}`);
}

/** The call's one input. */
export function singleInput(ctx: LayerContext): Value {
  const [x] = ctx.inputs;
  if (x === undefined || ctx.inputs.length !== 1) throw layerError(ctx, `expects one input (got ${ctx.inputs.length})`);
  return x;
}

/** The call's one output shape. */
export function outputShape(ctx: LayerContext): Shape {
  const [shape] = ctx.outputShapes;
  if (shape === undefined) throw layerError(ctx, 'has no output');
  return shape;
}

/** A name for a node of this layer: `layerName` or `layerName/part`. */
export function nodeName(ctx: LayerContext, part?: string): string {
  return part === undefined ? ctx.layer.name : `${ctx.layer.name}/${part}`;
}

export function configNumber(ctx: LayerContext, key: string, fallback?: number): number {
  const value = ctx.config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw layerError(ctx, `config \`${key}\` must be a number (got ${key}=${JSON.stringify(value)})`);
  return value;
}

export function configString(ctx: LayerContext, key: string, fallback?: string): string {
  const value = ctx.config[key] ?? fallback;
  if (typeof value !== 'string') throw layerError(ctx, `config \`${key}\` must be a string (got ${key}=${JSON.stringify(value)})`);
  return value;
}

export function configBoolean(ctx: LayerContext, key: string, fallback?: boolean): boolean {
  const value = ctx.config[key] ?? fallback;
  if (typeof value !== 'boolean') throw layerError(ctx, `config \`${key}\` must be a boolean (got ${key}=${JSON.stringify(value)})`);
  return value;
}

/** A `[height, width]` config value, stored as one number or a pair. */
export function configPair(ctx: LayerContext, key: string, fallback?: number): [number, number] {
  const value = ctx.config[key] ?? fallback;
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) return [value[0] as number, value[1] as number];
  throw layerError(ctx, `config \`${key}\` must be a number or [height, width] (got ${key}=${JSON.stringify(value)})`);
}

/** Throws unless the layer computes channels-last, the only layout netblocks models use. */
export function requireChannelsLast(ctx: LayerContext): void {
  const format = ctx.config['dataFormat'] ?? 'channelsLast';
  if (format !== 'channelsLast') throw layerError(ctx, `only dataFormat 'channelsLast' is supported (got dataFormat=${JSON.stringify(format)})`);
}

/** One weight of the layer: its values (read-only: they may be the backend's own buffer) and shape. */
export interface WeightValue {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** The layer's weights, in the order its `build` adds them; `expected` names them for the error. */
export function layerWeights(ctx: LayerContext, expected: readonly string[]): WeightValue[] {
  const weights = ctx.layer.weights;
  if (weights.length !== expected.length) {
    throw layerError(ctx, `expected ${expected.length} weights (${expected.join(', ')}), found ${weights.length}`);
  }
  return weights.map((w, i) => {
    const t = w.read();
    if (t.dtype !== 'float32') throw layerError(ctx, `weight ${expected[i]} must be float32 (got ${t.dtype})`);
    return { data: t.dataSync() as Float32Array, shape: w.shape as number[] };
  });
}

/** Height and width of an NHWC shape; throws, naming the layer, when they are not known. */
export function spatialSize(ctx: LayerContext, shape: Shape): [number, number] {
  const [, h, w] = shape;
  if (shape.length !== 4 || h == null || w == null) {
    throw layerError(ctx, `needs an NHWC input of known height and width (got shape [${shape.map(String).join(', ')}])`);
  }
  return [h, w];
}
