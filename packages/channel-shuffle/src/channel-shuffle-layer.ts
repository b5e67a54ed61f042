import * as tf from '@tensorflow/tfjs';
import { channelShuffle, checkShuffleGroups, checkShuffleOrder, type ShuffleOrder } from './op.js';
import { knownChannels, singleInput, singleShape } from './shapes.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Arguments of `ChannelShuffle`, on top of the base layer arguments. */
export interface ChannelShuffleArgs extends LayerArgs {
  /** Number of channel groups to interleave; must divide the input channels. Required. */
  groups: number;
  /** `'paper'` (the common shuffle) or `'megvii'` (its inverse). Default `'paper'`. See `ShuffleOrder`. */
  order?: ShuffleOrder;
}

/** `ChannelShuffleArgs` with every default filled in: exactly what `getConfig` adds to the base config. */
interface ResolvedChannelShuffleArgs {
  groups: number;
  order: ShuffleOrder;
}

const CLASS = 'NetblocksChannelShuffle';

function resolveChannelShuffleArgs(args: ChannelShuffleArgs): ResolvedChannelShuffleArgs {
  const groups = args.groups;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new Error(`${CLASS}: \`groups\` must be a positive integer (got groups=${groups})`);
  }
  return { groups, order: checkShuffleOrder(CLASS, args.order ?? 'paper') };
}

/**
 * Channel shuffle as a layer (no weights): applies `channelShuffle(x, groups, order)` to its one
 * channels-last input. Saved models that use it load once `@netblocks/channel-shuffle/register`
 * has been imported.
 */
export class ChannelShuffle extends tf.layers.Layer {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = CLASS;

  private readonly resolved: ResolvedChannelShuffleArgs;

  constructor(args: ChannelShuffleArgs) {
    super(args);
    this.resolved = resolveChannelShuffleArgs(args);
  }

  /** Number of channel groups. */
  get groups(): number {
    return this.resolved.groups;
  }

  /** Which shuffle: `'paper'` or `'megvii'`. */
  get order(): ShuffleOrder {
    return this.resolved.order;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    checkShuffleGroups(`${CLASS} "${this.name}"`, knownChannels(CLASS, singleShape(CLASS, inputShape)), this.groups);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(CLASS, inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return channelShuffle(singleInput(CLASS, inputs), this.groups, this.order);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.resolved };
  }
}
