import * as tf from '@tensorflow/tfjs';
import { convolve2d } from '../convolve.js';
import { checkInitializer, makeInitializer, type InitializerName } from '../initializers.js';
import { convOutputLength, positivePair, type SizePair } from '../math.js';
import { convMacs, type MacsReporter } from '../profile/macs.js';
import { nhwcInputChannels, singleInputShape } from './input-shape.js';

const OWNER = 'NetblocksDilatedConv2D';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface DilatedConv2DArgs extends LayerArgs {
  /** Output channels of a dense conv (required unless `depthwise`; ignored when it is). */
  filters?: number;
  /** Kernel size, one number or [height, width]. */
  kernelSize: SizePair;
  /** Stride. Default 1. */
  strides?: SizePair;
  /** Dilation. Default 1. */
  dilationRate?: SizePair;
  /** TF's `'same'` or `'valid'`. Default `'valid'`. */
  padding?: 'same' | 'valid';
  /** A depthwise conv (weight `depthwise_kernel` `[kh, kw, Cin, depthMultiplier]`) instead of a dense
   * one (weight `kernel`, HWIO). Default false. */
  depthwise?: boolean;
  /** Output channels per input channel of a depthwise conv. Default 1. */
  depthMultiplier?: number;
  /** Adds the weight `bias`. Default true. */
  useBias?: boolean;
  /** Kernel initializer. Default `'glorotNormal'` (as tf.layers.conv2d and depthwiseConv2d). */
  kernelInitializer?: InitializerName;
  /** Bias initializer. Default `'zeros'`. */
  biasInitializer?: InitializerName;
}

/** `DilatedConv2DArgs` with every default filled in: exactly what `getConfig` adds to the base config. */
export interface ResolvedDilatedConv2DArgs {
  /** Null for a depthwise conv. */
  filters: number | null;
  kernelSize: [number, number];
  strides: [number, number];
  dilationRate: [number, number];
  padding: 'same' | 'valid';
  depthwise: boolean;
  depthMultiplier: number;
  useBias: boolean;
  kernelInitializer: InitializerName;
  biasInitializer: InitializerName;
}

function positiveInt(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${OWNER}: \`${name}\` must be a positive integer (got ${name}=${String(value)})`);
  return value as number;
}

/** Fills in the defaults of `DilatedConv2DArgs` and checks every value. */
export function resolveDilatedConv2DArgs(args: DilatedConv2DArgs): ResolvedDilatedConv2DArgs {
  const depthwise = args.depthwise ?? false;
  const padding = args.padding ?? 'valid';
  if (padding !== 'same' && padding !== 'valid') throw new Error(`${OWNER}: \`padding\` must be 'same' or 'valid' (got padding=${JSON.stringify(padding)})`);
  return {
    filters: depthwise ? null : positiveInt('filters', args.filters),
    kernelSize: positivePair(OWNER, 'kernelSize', args.kernelSize),
    strides: positivePair(OWNER, 'strides', args.strides ?? 1),
    dilationRate: positivePair(OWNER, 'dilationRate', args.dilationRate ?? 1),
    padding,
    depthwise,
    depthMultiplier: positiveInt('depthMultiplier', args.depthMultiplier ?? 1),
    useBias: args.useBias ?? true,
    kernelInitializer: checkInitializer(OWNER, 'kernelInitializer', args.kernelInitializer ?? 'glorotNormal'),
    biasInitializer: checkInitializer(OWNER, 'biasInitializer', args.biasInitializer ?? 'zeros'),
  };
}

/**
 * A dense or depthwise conv that is correct and trainable at any dilation, on every backend: what
 * `convBnAct` builds when `dilation > 1`, where tf.layers.conv2d cannot train (its fused kernel's
 * gradient rejects dilation > 1) and tf.layers.depthwiseConv2d silently ignores the dilation. Its
 * weights and config keys are those of the Keras layers it stands for: `kernel` (HWIO) or
 * `depthwise_kernel` (`[kh, kw, Cin, m]`), then `bias` when `useBias`; `kernelSize`, `strides`,
 * `dilationRate`, `padding`, `useBias`. It computes with `convolve2d`.
 */
export class DilatedConv2D extends tf.layers.Layer implements MacsReporter {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = OWNER;

  /** The resolved arguments (read-only). */
  readonly resolved: ResolvedDilatedConv2DArgs;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: DilatedConv2DArgs) {
    super(args);
    this.resolved = resolveDilatedConv2DArgs(args);
  }

  private inputChannels(inputShape: tf.Shape | tf.Shape[]): number {
    return nhwcInputChannels(OWNER, this.name, inputShape);
  }

  private outputChannels(inChannels: number): number {
    const { depthwise, depthMultiplier, filters } = this.resolved;
    return depthwise ? inChannels * depthMultiplier : (filters as number);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = this.inputChannels(inputShape);
    const { kernelSize, depthwise, depthMultiplier, useBias, kernelInitializer, biasInitializer } = this.resolved;
    const outChannels = this.outputChannels(channels);
    const kernelShape = [kernelSize[0], kernelSize[1], channels, depthwise ? depthMultiplier : outChannels];
    this.kernel = this.addWeight(depthwise ? 'depthwise_kernel' : 'kernel', kernelShape, 'float32', makeInitializer(kernelInitializer));
    if (useBias) this.bias = this.addWeight('bias', [outChannels], 'float32', makeInitializer(biasInitializer));
    this.inputSpec = [{ ndim: 4, axes: { [-1]: channels } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleInputShape(inputShape);
    const { kernelSize, strides, dilationRate, padding } = this.resolved;
    const side = (i: 0 | 1): number | null => {
      const length = shape[i + 1];
      return length == null ? null : convOutputLength(length, kernelSize[i], strides[i], padding, dilationRate[i]);
    };
    const channels = shape[3];
    return [shape[0] ?? null, side(0), side(1), channels == null ? null : this.outputChannels(channels)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D | undefined;
      if (x === undefined || this.kernel === null) throw new Error(`${OWNER} ${this.name}: call() needs one input and a built layer`);
      const { strides, dilationRate, padding, depthwise } = this.resolved;
      const bias = this.bias === null ? null : (this.bias.read() as tf.Tensor1D);
      return convolve2d({ x, filter: this.kernel.read() as tf.Tensor4D, strides, pad: padding, dilations: dilationRate, bias, depthwise });
    });
  }

  /** Multiply-adds of one call (bias not counted). */
  computeMacs(inputShape: tf.Shape | tf.Shape[], outputShape: tf.Shape | tf.Shape[]): number {
    const channels = this.inputChannels(inputShape);
    const out = (Array.isArray(outputShape[0]) ? outputShape[0] : outputShape) as tf.Shape;
    const [, h, w] = out;
    if (h == null || w == null) throw new Error(`${OWNER} ${this.name}: MACs need a known output size (got outputShape=${JSON.stringify(outputShape)})`);
    const { kernelSize, depthwise } = this.resolved;
    const outChannels = this.outputChannels(channels);
    return convMacs({ positions: [h, w], kernelSize, inChannels: channels, outChannels, groups: depthwise ? channels : 1 });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...structuredClone(this.resolved) } as unknown as tf.serialization.ConfigDict;
  }
}
