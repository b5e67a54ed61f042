import * as tf from '@tensorflow/tfjs';
import { lastAxisChannels } from '@netblocks/core';
import { layerNorm } from './op.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Arguments of `LayerNorm`, on top of the base layer arguments. */
export interface LayerNormArgs extends LayerArgs {
  /** Added to the variance. Default `1e-6` (the reference Mixers'; tf.layers' default is 1e-3). */
  epsilon?: number;
  /** Add the learned offset `beta`. Default true. */
  center?: boolean;
  /** Multiply by the learned scale `gamma`. Default true. */
  scale?: boolean;
}

/**
 * Layer normalization over the last axis, computed by `layerNorm`: the same function, weights
 * (`gamma`, `beta`, in that order, each `[C]`) and config keys (`axis` is always -1) as
 * `tf.layers.layerNormalization({ axis: -1 })`, in broadcasting kernels where TF.js's tiles its
 * statistics to the input's size. `optimizeForInference` puts it in place of a LayerNormalization.
 */
export class LayerNorm extends tf.layers.Layer {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksLayerNorm';

  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-6;
    if (!(this.epsilon > 0) || !Number.isFinite(this.epsilon)) {
      throw new Error(`LayerNorm: \`epsilon\` must be a positive number (got epsilon=${this.epsilon})`);
    }
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = lastAxisChannels('LayerNorm', this.name, inputShape);
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    if (this.center) this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined) throw new Error(`LayerNorm ${this.name}: call() needs one input`);
      const gamma = this.gamma?.read() as tf.Tensor1D | undefined;
      const beta = this.beta?.read() as tf.Tensor1D | undefined;
      return layerNorm(x, { gamma, beta, epsilon: this.epsilon });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: -1, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
