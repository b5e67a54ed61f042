import * as tf from '@tensorflow/tfjs';
import { lastAxisChannels, singleInputShape, type MacsReporter } from '@netblocks/core';
import { channelDense, type ChannelDenseActivation } from './op.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

const ACTIVATIONS: readonly ChannelDenseActivation[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid'];

/** Arguments of `ChannelDense`, on top of the base layer arguments. */
export interface ChannelDenseArgs extends LayerArgs {
  /** U, the output channels. Required. */
  units: number;
  /** Add a bias `[U]`. Default true. */
  useBias?: boolean;
  /** Activation fused into the matmul. Default `'linear'`. */
  activation?: ChannelDenseActivation;
}

/**
 * A Dense over the last axis of a rank >= 3 input (the channel MLP's `fc1` and `fc2` on
 * `[N, S, C]`), computed by `channelDense`: the same function, weights (`kernel` `[C, U]`, `bias`
 * `[U]`) and config keys as `tf.layers.dense`, in one 2-D matmul on the kernel itself, so that the
 * wasm backend packs the weights once rather than on every call. `optimizeForInference` puts it
 * in place of a Dense on a rank >= 3 input.
 */
export class ChannelDense extends tf.layers.Layer implements MacsReporter {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksChannelDense';

  readonly units: number;
  readonly useBias: boolean;
  readonly activation: ChannelDenseActivation;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: ChannelDenseArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) throw new Error(`ChannelDense: \`units\` must be a positive integer (got units=${args.units})`);
    const activation = args.activation ?? 'linear';
    if (!ACTIVATIONS.includes(activation)) {
      throw new Error(`ChannelDense: \`activation\` must be one of ${ACTIVATIONS.join(', ')} (got activation=${JSON.stringify(activation)})`);
    }
    this.units = args.units;
    this.useBias = args.useBias ?? true;
    this.activation = activation;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = lastAxisChannels('ChannelDense', this.name, inputShape);
    this.kernel = this.addWeight('kernel', [channels, this.units], 'float32', tf.initializers.glorotUniform({}));
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleInputShape(inputShape);
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined || this.kernel === null) throw new Error(`ChannelDense ${this.name}: call() needs one input, after build()`);
      return channelDense(x, this.kernel.read() as tf.Tensor2D, this.bias?.read() as tf.Tensor1D | undefined, this.activation);
    });
  }

  /** Multiply-adds per example: `C * U` for every leading position. */
  computeMacs(inputShape: tf.Shape | tf.Shape[]): number {
    const shape = singleInputShape(inputShape);
    const positions = shape.slice(1, -1).reduce((a: number, d) => a * (d ?? 1), 1);
    return positions * (shape[shape.length - 1] ?? 0) * this.units;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, useBias: this.useBias, activation: this.activation };
  }
}
