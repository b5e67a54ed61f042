import * as tf from '@tensorflow/tfjs';
import { checkInitializer, convMacs, makeInitializer, type InitializerName, type MacsReporter } from '@netblocks/core';
import {
  depthwiseOutputSize,
  knownSizes,
  nhwc,
  resolveDepthwiseArgs,
  singleShape,
  type DepthwiseArgs,
  type ResolvedDepthwiseArgs,
} from './depthwise-args.js';
import { separableConv2d } from './op.js';

const OWNER = 'NetblocksSeparableConv2D';

/** Arguments of `NetblocksSeparableConv2D`. `strides`, `padding` and `dilationRate` belong to the
 * depthwise conv; `useBias`, `biasInitializer` and `activation` to the pointwise one. */
export interface SeparableConv2DArgs extends DepthwiseArgs {
  /** Output channels of the pointwise (1x1) conv. Required. */
  filters: number;
  /** Initializer of `pointwise_kernel`. Default `'glorotUniform'` (Keras' default). */
  pointwiseInitializer?: InitializerName;
}

/** `SeparableConv2DArgs` with every default filled in: exactly what `getConfig` adds to the base config. */
export interface ResolvedSeparableConv2DArgs extends ResolvedDepthwiseArgs {
  filters: number;
  pointwiseInitializer: InitializerName;
}

/** Fills in the defaults of `SeparableConv2DArgs` and checks every value. */
function resolveSeparableArgs(args: SeparableConv2DArgs): ResolvedSeparableConv2DArgs {
  const { filters } = args;
  if (!Number.isInteger(filters) || filters < 1) {
    throw new Error(`${OWNER}: \`filters\` must be a positive integer (got filters=${JSON.stringify(filters)})`);
  }
  return {
    filters,
    ...resolveDepthwiseArgs(OWNER, args),
    pointwiseInitializer: checkInitializer(OWNER, 'pointwiseInitializer', args.pointwiseInitializer ?? 'glorotUniform'),
  };
}

/**
 * Depthwise-separable convolution as one layer, as Xception's `SeparableConv2d`: a depthwise conv
 * then a pointwise 1x1 conv, nothing between them. Unlike TF.js 4.22's `SeparableConv2D`, whose
 * `getConfig` drops `depthMultiplier` (a saved model with m > 1 reloads with the wrong weight
 * shapes), its config round-trips, and it pads as PyTorch by default.
 *
 * Weights, named for a by-name PyTorch mapping: `depthwise_kernel` `[kh, kw, Cin, m]` (PyTorch's
 * `conv1.weight` `[Cin * m, 1, kh, kw]` permuted), `pointwise_kernel` `[1, 1, Cin * m, filters]`
 * (`pointwise.weight` `[filters, Cin * m, 1, 1]` permuted), `bias` `[filters]` when `useBias`.
 * Counts its MACs for core's `profile`, both convs at the output resolution:
 * `H_out * W_out * Cin * m * (kh * kw + filters)`.
 */
export class NetblocksSeparableConv2D extends tf.layers.Layer implements MacsReporter {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksSeparableConv2D';

  /** The resolved arguments (read-only). */
  readonly resolved: ResolvedSeparableConv2DArgs;
  private depthwiseKernel: tf.LayerVariable | null = null;
  private pointwiseKernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: SeparableConv2DArgs) {
    super(args);
    this.resolved = resolveSeparableArgs(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, , , channels] = nhwc(OWNER, singleShape(OWNER, inputShape));
    if (channels === null) {
      throw new Error(`${OWNER}: the channel (last) axis must be known (got inputShape=${JSON.stringify(inputShape)})`);
    }
    const { kernelSize, depthMultiplier, filters, useBias } = this.resolved;
    const mid = channels * depthMultiplier;
    const init = this.resolved;
    this.depthwiseKernel = this.addWeight(
      'depthwise_kernel',
      [kernelSize[0], kernelSize[1], channels, depthMultiplier],
      'float32',
      makeInitializer(init.depthwiseInitializer),
    );
    this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, 1, mid, filters], 'float32', makeInitializer(init.pointwiseInitializer));
    if (useBias) this.bias = this.addWeight('bias', [filters], 'float32', makeInitializer(init.biasInitializer));
    this.inputSpec = [{ ndim: 4, axes: { [-1]: channels } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, height, width] = nhwc(OWNER, singleShape(OWNER, inputShape));
    const [outHeight, outWidth] = depthwiseOutputSize(OWNER, this.resolved, height, width);
    return [batch, outHeight, outWidth, this.resolved.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined || this.depthwiseKernel === null || this.pointwiseKernel === null) {
        throw new Error(`${OWNER}: call() needs one input tensor and a built layer`);
      }
      const { strides, padding, dilationRate, activation } = this.resolved;
      return separableConv2d(x as tf.Tensor4D, this.depthwiseKernel.read() as tf.Tensor4D, this.pointwiseKernel.read() as tf.Tensor4D, {
        strides,
        padding,
        dilation: dilationRate,
        bias: this.bias === null ? null : (this.bias.read() as tf.Tensor1D),
        activation,
      });
    });
  }

  /** Multiply-adds of one call: depthwise `H_out * W_out * Cin * m * kh * kw` plus pointwise
   * `H_out * W_out * Cin * m * filters` (bias adds not counted). */
  computeMacs(inputShape: tf.Shape | tf.Shape[], outputShape: tf.Shape | tf.Shape[]): number {
    const sizes = knownSizes(OWNER, this.name, singleShape(OWNER, inputShape), singleShape(OWNER, outputShape));
    const { kernelSize, depthMultiplier, filters } = this.resolved;
    const positions = [sizes.outHeight, sizes.outWidth];
    const mid = sizes.inChannels * depthMultiplier;
    const depthwise = convMacs({ positions, kernelSize, inChannels: sizes.inChannels, outChannels: mid, groups: sizes.inChannels });
    const pointwise = convMacs({ positions, kernelSize: [1, 1], inChannels: mid, outChannels: filters });
    return depthwise + pointwise;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...structuredClone(this.resolved) } as unknown as tf.serialization.ConfigDict;
  }
}
