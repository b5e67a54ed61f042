import * as tf from '@tensorflow/tfjs';
import { applyActivation, checkActivation, type ActivationName } from '../activations.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface ActivationLayerArgs extends LayerArgs {
  /** The element-wise function. */
  activation: ActivationName;
}

/**
 * An element-wise activation in the fewest TF.js kernels: relu6 is one kernel (`tf.layers`' is
 * two: relu then minimum), swish two (sigmoid, multiply; `tf.layers`' three). Same function as
 * `tf.layers.activation` of that name; `optimizeForInference` puts it where an activation stands alone.
 */
export class ActivationLayer extends tf.layers.Layer {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksActivation';

  readonly activation: ActivationName;

  constructor(args: ActivationLayerArgs) {
    super(args);
    this.activation = checkActivation(args.activation);
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined) throw new Error(`ActivationLayer ${this.name}: call() needs one input`);
      return applyActivation(x, this.activation);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation };
  }
}
