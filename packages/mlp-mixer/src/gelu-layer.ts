import * as tf from '@tensorflow/tfjs';
import { checkGelu, gelu, type GeluApproximation } from './op.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Arguments of `Gelu`, on top of the base layer arguments. */
export interface GeluArgs extends LayerArgs {
  /** Which GELU. Default `'exact'`. */
  approximation?: GeluApproximation;
}

/**
 * GELU as a layer (the channel MLP's `act`), either variant. TF.js has `'gelu'` and `'gelu_new'`
 * activations, but 4.22 saves `'gelu_new'` in a form it cannot load back (`Unknown activation:
 * geluNew`), so both variants live here, computed by `gelu`.
 */
export class Gelu extends tf.layers.Layer {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksGelu';

  /** The resolved GELU variant. */
  readonly approximation: GeluApproximation;

  constructor(args: GeluArgs = {}) {
    super(args);
    this.approximation = checkGelu('Gelu', args.approximation ?? 'exact', 'approximation');
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => gelu((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor, this.approximation));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), approximation: this.approximation };
  }
}
