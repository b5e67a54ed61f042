import * as tf from '@tensorflow/tfjs';

/**
 * Which of the two channel shuffles, for `groups` groups of `channels / groups` channels:
 * - `'paper'`: the ShuffleNet paper's (and torchvision's): view the channels as a [groups, C/groups]
 *   matrix, transpose it, flatten. Output channel `j` takes input `(j % g) * (C/g) + floor(j / g)`.
 * - `'megvii'`: megvii's ShuffleNet V1 code: view as [C/groups, groups], transpose, flatten; the
 *   inverse permutation of `'paper'` (equal to `'paper'` with `C/groups` groups).
 */
export type ShuffleOrder = 'paper' | 'megvii';

const ORDERS: readonly ShuffleOrder[] = ['paper', 'megvii'];

/** Throws unless `order` is a `ShuffleOrder`; `fn` and `argName` go into the message. */
export function checkShuffleOrder(fn: string, order: unknown, argName = 'order'): ShuffleOrder {
  if (!ORDERS.includes(order as ShuffleOrder)) {
    throw new Error(`${fn}: \`${argName}\` must be 'paper' or 'megvii' (got ${argName}=${JSON.stringify(order)})`);
  }
  return order as ShuffleOrder;
}

/** Throws unless `groups` is a positive integer that divides `channels`. */
export function checkShuffleGroups(fn: string, channels: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1) {
    throw new Error(`${fn}: \`groups\` must be a positive integer (got groups=${groups})`);
  }
  if (channels % groups !== 0) {
    throw new Error(`${fn}: \`groups\` must divide the channels (got channels=${channels}, groups=${groups})`);
  }
}

/** Rows of the [rows, C/rows] matrix that the shuffle transposes. */
function shuffleRows(channels: number, groups: number, order: ShuffleOrder): number {
  return order === 'paper' ? groups : channels / groups;
}

/**
 * The permutation `channelShuffle` applies, as gather indices: `y[..., j] = x[..., perm[j]]`.
 * The `'megvii'` permutation is the inverse of the `'paper'` one. Default order `'paper'`.
 */
export function channelShufflePermutation(channels: number, groups: number, order: ShuffleOrder = 'paper'): number[] {
  const fn = 'channelShufflePermutation';
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`${fn}: \`channels\` must be a positive integer (got channels=${channels})`);
  }
  checkShuffleGroups(fn, channels, groups);
  checkShuffleOrder(fn, order);
  const rows = shuffleRows(channels, groups, order);
  const cols = channels / rows;
  // Transposing a [rows, cols] matrix: output j = c * rows + r reads input r * cols + c.
  return Array.from({ length: channels }, (_, j) => (j % rows) * cols + Math.floor(j / rows));
}

/**
 * Channel shuffle (ShuffleNet, Zhang et al. 2017) of `x`, channels last (NHWC, or any rank >= 1):
 * one reshape to [..., rows, C/rows], one transpose of the last two axes, one reshape back, where
 * rows = `groups` for `'paper'` and C/groups for `'megvii'` (see `ShuffleOrder`). Its gradient is
 * the inverse shuffle. `groups` must divide the channels; `groups = 1` is the identity.
 */
export function channelShuffle(x: tf.Tensor, groups: number, order: ShuffleOrder = 'paper'): tf.Tensor {
  const fn = 'channelShuffle';
  const channels = x.shape[x.rank - 1];
  if (channels === undefined) {
    throw new Error(`${fn}: \`x\` must have a channel axis (got x.shape=[${x.shape.join(', ')}])`);
  }
  checkShuffleGroups(fn, channels, groups);
  checkShuffleOrder(fn, order);
  const rows = shuffleRows(channels, groups, order);
  if (rows === 1 || rows === channels) return x.clone();
  const lead = x.shape.slice(0, -1);
  const perm = [...lead.keys(), lead.length + 1, lead.length];
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [...lead, rows, channels / rows]), perm), x.shape));
}
