import * as tf from '@tensorflow/tfjs';
import { checkInitializer, convOutputLength, makeInitializer, positivePair, type InitializerName, type MacsReporter } from '@netblocks/core';
import { groupConv2d, type GroupConvActivation } from './op.js';
import type { GroupConvStrategy } from './strategies.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface GroupConv2DArgs extends LayerArgs {
  /** Output channels; must be divisible by `groups`. */
  filters: number;
  /** Kernel size, one number or [height, width]. */
  kernelSize: number | [number, number];
  /** Number of groups; must divide the input channels and `filters`. 1 is a plain conv. */
  groups: number;
  /** Stride. Default 1. */
  strides?: number | [number, number];
  /** `'torch'` (symmetric, as PyTorch), `'same'` or `'valid'`. Default `'torch'`. */
  padding?: 'torch' | 'same' | 'valid';
  /** Dilation. Default 1. */
  dilationRate?: number | [number, number];
  /** Add a bias. Default true (as `tf.layers.conv2d` and PyTorch's `nn.Conv2d`). */
  useBias?: boolean;
  /** Activation fused after the bias. Default `'linear'`. */
  activation?: GroupConvActivation;
  /** Kernel initializer. Default `'glorotUniform'` (Keras' default; fan-in is kh*kw*Cin/groups). */
  kernelInitializer?: InitializerName;
  /** Bias initializer. Default `'zeros'`. */
  biasInitializer?: InitializerName;
  /** How to compute the grouped conv. Default `'auto'` (per shape and backend). */
  strategy?: GroupConvStrategy | 'auto';
}

/** `GroupConv2DArgs` with every default filled in: what `getConfig` adds to the base config. */
export interface ResolvedGroupConv2DArgs {
  filters: number;
  kernelSize: [number, number];
  groups: number;
  strides: [number, number];
  padding: 'torch' | 'same' | 'valid';
  dilationRate: [number, number];
  useBias: boolean;
  activation: GroupConvActivation;
  kernelInitializer: InitializerName;
  biasInitializer: InitializerName;
  strategy: GroupConvStrategy | 'auto';
}

/** Fills in the defaults of `GroupConv2DArgs` and checks every value that needs no input shape. */
export function resolveGroupConv2DArgs(args: GroupConv2DArgs): ResolvedGroupConv2DArgs {
  const { filters, groups } = args;
  if (!Number.isInteger(filters) || filters < 1) throw new Error(`GroupConv2D: \`filters\` must be a positive integer (got filters=${filters})`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`GroupConv2D: \`groups\` must be a positive integer (got groups=${groups})`);
  if (filters % groups !== 0) throw new Error(`GroupConv2D: \`groups\` must divide \`filters\` (got filters=${filters}, groups=${groups})`);
  const padding = args.padding ?? 'torch';
  if (!['torch', 'same', 'valid'].includes(padding)) {
    throw new Error(`GroupConv2D: \`padding\` must be 'torch', 'same' or 'valid' (got padding=${JSON.stringify(padding)})`);
  }
  return {
    filters,
    kernelSize: positivePair('GroupConv2D', 'kernelSize', args.kernelSize),
    groups,
    strides: positivePair('GroupConv2D', 'strides', args.strides ?? 1),
    padding,
    dilationRate: positivePair('GroupConv2D', 'dilationRate', args.dilationRate ?? 1),
    useBias: args.useBias ?? true,
    activation: args.activation ?? 'linear',
    kernelInitializer: checkInitializer('GroupConv2D', 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform'),
    biasInitializer: checkInitializer('GroupConv2D', 'biasInitializer', args.biasInitializer ?? 'zeros'),
    strategy: args.strategy ?? 'auto',
  };
}

function singleShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/**
 * Grouped 2-D convolution as a layer. Its kernel is `[kh, kw, Cin/groups, filters]` (PyTorch's
 * `[filters, Cin/groups, kh, kw]` transposed to HWIO); the computation is `groupConv2d`.
 */
export class GroupConv2D extends tf.layers.Layer implements MacsReporter {
  static className = 'NetblocksGroupConv2D';

  readonly resolved: ResolvedGroupConv2DArgs;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: GroupConv2DArgs) {
    super(args);
    this.resolved = resolveGroupConv2DArgs(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const cin = shape[3];
    const { groups, filters, kernelSize, useBias } = this.resolved;
    if (shape.length !== 4 || cin == null) {
      throw new Error(`GroupConv2D ${this.name}: input must be NHWC with known channels (got inputShape=${JSON.stringify(shape)})`);
    }
    if (cin % groups !== 0) {
      throw new Error(`GroupConv2D ${this.name}: \`groups\` must divide the input channels (got Cin=${cin}, groups=${groups})`);
    }
    this.kernel = this.addWeight('kernel', [kernelSize[0], kernelSize[1], cin / groups, filters], 'float32', makeInitializer(this.resolved.kernelInitializer));
    if (useBias) this.bias = this.addWeight('bias', [filters], 'float32', makeInitializer(this.resolved.biasInitializer));
    this.inputSpec = [{ ndim: 4, axes: { [-1]: cin } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w] = singleShape(inputShape);
    const { kernelSize, strides, padding, dilationRate, filters } = this.resolved;
    const out = (len: number | null | undefined, axis: 0 | 1) =>
      len == null ? null : convOutputLength(len, kernelSize[axis], strides[axis], padding, dilationRate[axis]);
    return [n ?? null, out(h, 0), out(w, 1), filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const { groups, strides, padding, dilationRate, activation, strategy } = this.resolved;
      const kernel = (this.kernel as tf.LayerVariable).read() as tf.Tensor4D;
      const bias = this.bias ? (this.bias.read() as tf.Tensor1D) : undefined;
      return groupConv2d(x, kernel, { groups, strides, padding, dilation: dilationRate, bias, activation, strategy });
    });
  }

  /** Multiply-adds per image: `H' * W' * kh * kw * (Cin / groups) * Cout`. */
  computeMacs(inputShape: tf.Shape | tf.Shape[], outputShape: tf.Shape | tf.Shape[]): number {
    const cin = singleShape(inputShape)[3] as number;
    const [, h, w] = singleShape(outputShape) as number[];
    const { kernelSize, groups, filters } = this.resolved;
    return (h as number) * (w as number) * kernelSize[0] * kernelSize[1] * (cin / groups) * filters;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.resolved };
  }
}
