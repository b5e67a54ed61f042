import * as tf from '@tensorflow/tfjs';
import { checkDropRate, dropPath } from './op.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface StochasticDepthArgs extends LayerArgs {
  /** Probability of dropping a sample's path at training (timm's `drop_path_rate` for this block). */
  rate: number;
  /** Seed of the masks: call `i` of the layer uses `seed + i`, so a run is reproducible. Default
   * `null` (random). */
  seed?: number | null;
}

/**
 * Drop path as a layer (`dropPath`): per-sample drop with survival scaling at training, the
 * identity at inference. No weights. `model.fit` and `model.apply(x, { training: true })` pass
 * the training flag to it.
 */
export class StochasticDepth extends tf.layers.Layer {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksStochasticDepth';

  /** Drop probability. */
  readonly rate: number;
  /** Mask seed, or null for random masks. */
  readonly seed: number | null;
  private calls = 0;

  constructor(args: StochasticDepthArgs) {
    super(args);
    this.rate = checkDropRate(args.rate, 'rate');
    const seed = args.seed ?? null;
    if (seed !== null && !Number.isFinite(seed)) throw new Error(`StochasticDepth: \`seed\` must be a finite number or null (got seed=${seed})`);
    this.seed = seed;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x === undefined) throw new Error(`StochasticDepth ${this.name}: call() needs one input`);
    const training = kwargs['training'] === true;
    if (!training) return x;
    const seed = this.seed === null ? undefined : this.seed + this.calls++;
    return dropPath(x, this.rate, { training, seed });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
