import * as tf from '@tensorflow/tfjs';
import { checkActivation, type ActivationName } from '../activations.js';
import { convolve2d } from '../convolve.js';
import { convOutputLength, positivePair, type AxisPadding, type SizePair } from '../math.js';
import { convMacs, type MacsReporter } from '../profile/macs.js';
import { nhwcInputChannels, singleInputShape } from './input-shape.js';

const OWNER = 'FusedConv2D';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Explicit zero padding: `[[top, bottom], [left, right]]`. */
export type ExplicitPadding2D = readonly [AxisPadding, AxisPadding];

export interface FusedConv2DArgs extends LayerArgs {
  /** Output channels. For a depthwise conv: input channels * depth multiplier. */
  filters: number;
  /** Kernel size, one number or [height, width]. */
  kernelSize: SizePair;
  /** Stride. Default 1. */
  strides?: SizePair;
  /** Dilation. Default 1. */
  dilationRate?: SizePair;
  /** Zero padding on each side, `[[top, bottom], [left, right]]`. Default none. */
  padding?: ExplicitPadding2D;
  /** A depthwise conv (kernel `[kh, kw, Cin, multiplier]`) instead of a dense one (HWIO). Default false. */
  depthwise?: boolean;
  /** Activation after the bias. Default `'linear'`. */
  activation?: ActivationName;
}

/** `FusedConv2DArgs` with every default filled in: exactly what `getConfig` adds to the base config. */
export interface ResolvedFusedConv2DArgs {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  dilationRate: [number, number];
  padding: [[number, number], [number, number]];
  depthwise: boolean;
  activation: ActivationName;
}

function checkPadding(padding: unknown): [[number, number], [number, number]] {
  const ok =
    Array.isArray(padding) &&
    padding.length === 2 &&
    padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
  if (!ok) {
    throw new Error(`${OWNER}: \`padding\` must be [[top, bottom], [left, right]] of non-negative integers (got padding=${JSON.stringify(padding)})`);
  }
  const [[t, b], [l, r]] = padding as number[][] as [[number, number], [number, number]];
  return [[t, b], [l, r]];
}

/** Fills in the defaults of `FusedConv2DArgs` and checks every value. */
export function resolveFusedConv2DArgs(args: FusedConv2DArgs): ResolvedFusedConv2DArgs {
  if (!Number.isInteger(args.filters) || args.filters < 1) {
    throw new Error(`${OWNER}: \`filters\` must be a positive integer (got filters=${args.filters})`);
  }
  return {
    filters: args.filters,
    kernelSize: positivePair(OWNER, 'kernelSize', args.kernelSize),
    strides: positivePair(OWNER, 'strides', args.strides ?? 1),
    dilationRate: positivePair(OWNER, 'dilationRate', args.dilationRate ?? 1),
    padding: checkPadding(args.padding ?? [[0, 0], [0, 0]]),
    depthwise: args.depthwise ?? false,
    activation: checkActivation(args.activation ?? 'linear'),
  };
}

/**
 * The inference form of pad -> conv (or depthwise conv) -> BatchNorm -> activation: one TF.js fused
 * kernel (`tf.fused.conv2d` / `tf.fused.depthwiseConv2d`) with explicit padding, bias and, where
 * TF.js fuses it (linear, relu, relu6, elu, sigmoid), the activation; other activations (swish, gelu,
 * ...) follow as element-wise ops (all through `convolve2d`, so a dilated one trains too).
 * `optimizeForInference` builds it; its weights are `kernel` (HWIO,
 * or `[kh, kw, Cin, multiplier]` when depthwise) and `bias`.
 */
export class FusedConv2D extends tf.layers.Layer implements MacsReporter {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksFusedConv2D';

  /** The resolved arguments (read-only). */
  readonly resolved: ResolvedFusedConv2DArgs;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  /** TF.js' explicit padding form, computed once. */
  private readonly pad: 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

  constructor(args: FusedConv2DArgs) {
    super(args);
    this.resolved = resolveFusedConv2DArgs(args);
    const [[t, b], [l, r]] = this.resolved.padding;
    this.pad = t + b + l + r === 0 ? 'valid' : [[0, 0], [t, b], [l, r], [0, 0]];
  }

  private inputChannels(inputShape: tf.Shape | tf.Shape[]): number {
    return nhwcInputChannels(OWNER, this.name, inputShape);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = this.inputChannels(inputShape);
    const { kernelSize, filters, depthwise } = this.resolved;
    if (depthwise && filters % channels !== 0) {
      throw new Error(`${OWNER} ${this.name}: a depthwise conv's \`filters\` must be a multiple of the input channels (got filters=${filters}, channels=${channels})`);
    }
    const kernelShape = [kernelSize[0], kernelSize[1], channels, depthwise ? filters / channels : filters];
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', tf.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [filters], 'float32', tf.initializers.zeros());
    this.inputSpec = [{ ndim: 4, axes: { [-1]: channels } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleInputShape(inputShape);
    const { kernelSize, strides, dilationRate, padding, filters } = this.resolved;
    const side = (i: 0 | 1): number | null => {
      const length = shape[i + 1];
      return length == null ? null : convOutputLength(length, kernelSize[i], strides[i], padding[i], dilationRate[i]);
    };
    return [shape[0] ?? null, side(0), side(1), filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D | undefined;
      if (x === undefined || this.kernel === null || this.bias === null) throw new Error(`${OWNER} ${this.name}: call() needs one input and a built layer`);
      const { strides, dilationRate, depthwise, activation } = this.resolved;
      const filter = this.kernel.read() as tf.Tensor4D;
      return convolve2d({ x, filter, strides, pad: this.pad, dilations: dilationRate, bias: this.bias.read() as tf.Tensor1D, activation, depthwise });
    });
  }

  /** Multiply-adds of one call (bias and activation not counted). */
  computeMacs(inputShape: tf.Shape | tf.Shape[], outputShape: tf.Shape | tf.Shape[]): number {
    const channels = this.inputChannels(inputShape);
    const out = (Array.isArray(outputShape[0]) ? outputShape[0] : outputShape) as tf.Shape;
    const [, h, w] = out;
    if (h == null || w == null) throw new Error(`${OWNER} ${this.name}: MACs need a known output size (got outputShape=${JSON.stringify(outputShape)})`);
    const { kernelSize, filters, depthwise } = this.resolved;
    return convMacs({ positions: [h, w], kernelSize, inChannels: channels, outChannels: filters, groups: depthwise ? channels : 1 });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.resolved };
  }
}
