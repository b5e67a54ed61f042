import * as tf from '@tensorflow/tfjs';
import { convMacs, makeInitializer, type MacsReporter } from '@netblocks/core';
import {
  depthwiseOutputSize,
  knownSizes,
  nhwc,
  resolveDepthwiseArgs,
  singleShape,
  type DepthwiseArgs,
  type ResolvedDepthwiseArgs,
} from './depthwise-args.js';
import { depthwiseConv2d } from './op.js';

const OWNER = 'NetblocksDepthwiseConv2D';

/** Arguments of `NetblocksDepthwiseConv2D`: the base layer arguments plus `DepthwiseArgs`. */
export type DepthwiseConv2DArgs = DepthwiseArgs;

/** `DepthwiseConv2DArgs` with every default filled in: exactly what `getConfig` adds to the base config. */
export type ResolvedDepthwiseConv2DArgs = ResolvedDepthwiseArgs;

/**
 * Depthwise convolution as a layer, with PyTorch's symmetric padding by default, explicit padding,
 * and dilated kernels that train. Weights: `depthwise_kernel` `[kh, kw, Cin, m]` (PyTorch's
 * `[Cin * m, 1, kh, kw]` permuted), and `bias` `[Cin * m]` when `useBias`. Counts its MACs for
 * core's `profile`: `H_out * W_out * Cin * m * kh * kw`.
 */
export class NetblocksDepthwiseConv2D extends tf.layers.Layer implements MacsReporter {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksDepthwiseConv2D';

  /** The resolved arguments (read-only). */
  readonly resolved: ResolvedDepthwiseConv2DArgs;
  private depthwiseKernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: DepthwiseConv2DArgs = {}) {
    super(args);
    this.resolved = resolveDepthwiseArgs(OWNER, args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, , , channels] = nhwc(OWNER, singleShape(OWNER, inputShape));
    if (channels === null) {
      throw new Error(`${OWNER}: the channel (last) axis must be known (got inputShape=${JSON.stringify(inputShape)})`);
    }
    const { kernelSize, depthMultiplier, useBias, depthwiseInitializer, biasInitializer } = this.resolved;
    const kernelShape = [kernelSize[0], kernelSize[1], channels, depthMultiplier];
    this.depthwiseKernel = this.addWeight('depthwise_kernel', kernelShape, 'float32', makeInitializer(depthwiseInitializer));
    if (useBias) this.bias = this.addWeight('bias', [channels * depthMultiplier], 'float32', makeInitializer(biasInitializer));
    this.inputSpec = [{ ndim: 4, axes: { [-1]: channels } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, height, width, channels] = nhwc(OWNER, singleShape(OWNER, inputShape));
    const [outHeight, outWidth] = depthwiseOutputSize(OWNER, this.resolved, height, width);
    return [batch, outHeight, outWidth, channels === null ? null : channels * this.resolved.depthMultiplier];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined || this.depthwiseKernel === null) throw new Error(`${OWNER}: call() needs one input tensor and a built layer`);
      const { strides, padding, dilationRate, activation } = this.resolved;
      return depthwiseConv2d(x as tf.Tensor4D, this.depthwiseKernel.read() as tf.Tensor4D, {
        strides,
        padding,
        dilation: dilationRate,
        bias: this.bias === null ? null : (this.bias.read() as tf.Tensor1D),
        activation,
      });
    });
  }

  /** Multiply-adds of one call: `H_out * W_out * Cin * m * kh * kw` (bias adds not counted). */
  computeMacs(inputShape: tf.Shape | tf.Shape[], outputShape: tf.Shape | tf.Shape[]): number {
    const sizes = knownSizes(OWNER, this.name, singleShape(OWNER, inputShape), singleShape(OWNER, outputShape));
    const { kernelSize, depthMultiplier } = this.resolved;
    return convMacs({
      positions: [sizes.outHeight, sizes.outWidth],
      kernelSize,
      inChannels: sizes.inChannels,
      outChannels: sizes.inChannels * depthMultiplier,
      groups: sizes.inChannels,
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...structuredClone(this.resolved) } as unknown as tf.serialization.ConfigDict;
  }
}
