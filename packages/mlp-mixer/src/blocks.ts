import * as tf from '@tensorflow/tfjs';
import type { BlockFn } from '@netblocks/core';
import { checkGelu, type GeluApproximation } from './op.js';
import { Gelu } from './gelu-layer.js';
import { TokenMixing } from './token-mixing-layer.js';

/** LayerNorm epsilon of the reference Mixers (timm and the official JAX code); TF.js's default is 1e-3. */
export const MIXER_LAYER_NORM_EPSILON = 1e-6;

function positiveInt(fn: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: \`${name}\` must be a positive integer (got ${name}=${value})`);
  return value;
}

function checkEpsilon(fn: string, epsilon: number): number {
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new Error(`${fn}: \`epsilon\` must be a positive number (got epsilon=${epsilon})`);
  return epsilon;
}

const layerNorm = (name: string, epsilon: number): tf.layers.Layer => tf.layers.layerNormalization({ axis: -1, epsilon, name });

/** Arguments of `mixerStem`. */
export interface MixerStemArgs {
  /** Name prefix. Default `'stem'` (timm: `stem.proj`). */
  name?: string;
  /** P, the patch size: the conv's kernel and stride. Must divide the input height and width. */
  patchSize: number;
  /** C, the channels (hidden width) of every token. */
  channels: number;
}

/**
 * Patch embedding: a conv with kernel and stride `patchSize` and a bias (`${name}.proj`), then
 * the H/P x W/P grid flattened row by row into S tokens, `[N, S, C]` (`${name}.flatten`), the
 * order of timm's `flatten(2).transpose(1, 2)` on NCHW.
 */
export function mixerStem(args: MixerStemArgs): BlockFn {
  const fn = 'mixerStem';
  const name = args.name ?? 'stem';
  const patchSize = positiveInt(fn, 'patchSize', args.patchSize);
  const channels = positiveInt(fn, 'channels', args.channels);
  return (x) => {
    const [, h, w] = x.shape;
    if (x.shape.length !== 4 || h == null || w == null || h % patchSize !== 0 || w % patchSize !== 0) {
      throw new Error(`${fn} ${name}: \`patchSize\` must divide the known input height and width (got inputShape=${JSON.stringify(x.shape)}, patchSize=${patchSize})`);
    }
    const proj = tf.layers.conv2d({
      name: `${name}.proj`,
      filters: channels,
      kernelSize: patchSize,
      strides: patchSize,
      padding: 'valid',
      useBias: true,
      kernelInitializer: 'leCunNormal',
    });
    const tokens = (h / patchSize) * (w / patchSize);
    const flatten = tf.layers.reshape({ name: `${name}.flatten`, targetShape: [tokens, channels] });
    return flatten.apply(proj.apply(x)) as tf.SymbolicTensor;
  };
}

/** Arguments of `mixerBlock`. */
export interface MixerBlockArgs {
  /** Name prefix, e.g. `'blocks.0'`; layers are named as timm's MixerBlock under it. */
  name: string;
  /** S, the number of tokens (patches) of the input `[N, S, C]`. */
  tokens: number;
  /** C, the channels of every token. */
  channels: number;
  /** D_S, hidden width of the token-mixing MLP: 256 / 384 / 512 for Mixer-S / B / L (not S). */
  tokenMlpDim: number;
  /** D_C, hidden width of the channel-mixing MLP: 2048 / 3072 / 4096 for Mixer-S / B / L. */
  channelMlpDim: number;
  /** LayerNorm epsilon. Default `1e-6` (the reference Mixers'; TF.js's own default is 1e-3). */
  epsilon?: number;
  /** GELU in both MLPs. Default `'exact'` (timm and PyTorch); `'tanh'` is the JAX code's. */
  gelu?: GeluApproximation;
}

/**
 * One Mixer layer (Tolstikhin et al. 2021, eq. 1) on `[N, S, C]`:
 * `U = X + TokenMLP(LayerNorm(X)^T)^T`, then `Y = U + ChannelMLP(LayerNorm(U))`. Layers, with
 * timm's names: `${name}.norm1`, `${name}.mlp_tokens` (one `TokenMixing` layer holding fc1 and
 * fc2), `${name}.add1`, `${name}.norm2`, `${name}.mlp_channels.fc1` (Dense D_C),
 * `${name}.mlp_channels.act` (`Gelu`), `${name}.mlp_channels.fc2` (Dense C), `${name}.add2`.
 */
export function mixerBlock(args: MixerBlockArgs): BlockFn {
  const fn = 'mixerBlock';
  const { name } = args;
  const tokens = positiveInt(fn, 'tokens', args.tokens);
  const channels = positiveInt(fn, 'channels', args.channels);
  const tokenMlpDim = positiveInt(fn, 'tokenMlpDim', args.tokenMlpDim);
  const channelMlpDim = positiveInt(fn, 'channelMlpDim', args.channelMlpDim);
  const epsilon = checkEpsilon(fn, args.epsilon ?? MIXER_LAYER_NORM_EPSILON);
  const gelu = checkGelu(fn, args.gelu ?? 'exact');
  return (x) => {
    if (x.shape.length !== 3 || x.shape[1] !== tokens || x.shape[2] !== channels) {
      throw new Error(`${fn} ${name}: the input must be [N, S, C] = [N, ${tokens}, ${channels}] (got inputShape=${JSON.stringify(x.shape)})`);
    }
    const mixedTokens = new TokenMixing({ name: `${name}.mlp_tokens`, tokenMlpDim, gelu }).apply(
      layerNorm(`${name}.norm1`, epsilon).apply(x),
    ) as tf.SymbolicTensor;
    const u = tf.layers.add({ name: `${name}.add1` }).apply([x, mixedTokens]) as tf.SymbolicTensor;
    const channelMlp = [
      layerNorm(`${name}.norm2`, epsilon),
      tf.layers.dense({ name: `${name}.mlp_channels.fc1`, units: channelMlpDim }),
      new Gelu({ name: `${name}.mlp_channels.act`, approximation: gelu }),
      tf.layers.dense({ name: `${name}.mlp_channels.fc2`, units: channels }),
    ];
    const mixedChannels = channelMlp.reduce((t, layer) => layer.apply(t) as tf.SymbolicTensor, u);
    return tf.layers.add({ name: `${name}.add2` }).apply([u, mixedChannels]) as tf.SymbolicTensor;
  };
}

/** Arguments of `mixerHead`. */
export interface MixerHeadArgs {
  /** Classes of the final Dense (`head`). Default 1000; 0 ends at the pooled features `[N, C]`. */
  numClasses?: number;
  /** LayerNorm epsilon. Default `1e-6`. */
  epsilon?: number;
}

/**
 * The classifier: LayerNorm (`norm`), the mean over the tokens (`pool`), then a Dense to
 * `numClasses` (`head`, kernel initialized to zeros as in timm and the JAX code).
 */
export function mixerHead(args: MixerHeadArgs = {}): BlockFn {
  const fn = 'mixerHead';
  const numClasses = args.numClasses ?? 1000;
  if (!Number.isInteger(numClasses) || numClasses < 0) {
    throw new Error(`${fn}: \`numClasses\` must be a non-negative integer (got numClasses=${numClasses})`);
  }
  const epsilon = checkEpsilon(fn, args.epsilon ?? MIXER_LAYER_NORM_EPSILON);
  return (x) => {
    if (x.shape.length !== 3) throw new Error(`${fn}: the input must be [N, S, C] (got inputShape=${JSON.stringify(x.shape)})`);
    const pooled = tf.layers.globalAveragePooling1d({ name: 'pool' }).apply(layerNorm('norm', epsilon).apply(x)) as tf.SymbolicTensor;
    if (numClasses === 0) return pooled;
    return tf.layers.dense({ name: 'head', units: numClasses, kernelInitializer: 'zeros' }).apply(pooled) as tf.SymbolicTensor;
  };
}

/** Sizes of one Mixer layer, as the formulas take them. */
export interface MixerBlockSizes {
  /** S, tokens. */
  tokens: number;
  /** C, channels. */
  channels: number;
  /** D_S, token-MLP width. */
  tokenMlpDim: number;
  /** D_C, channel-MLP width. */
  channelMlpDim: number;
}

/** Parameters of one Mixer layer: two LayerNorms `4C`, the token MLP `2 S D_S + D_S + S`, the
 * channel MLP `2 C D_C + D_C + C`. */
export function mixerBlockParams({ tokens: s, channels: c, tokenMlpDim: ds, channelMlpDim: dc }: MixerBlockSizes): number {
  return 4 * c + 2 * s * ds + ds + s + 2 * c * dc + dc + c;
}

/** Multiply-adds per image of one Mixer layer: token mixing `2 S D_S C` plus channel mixing `2 S C D_C`. */
export function mixerBlockMacs({ tokens: s, channels: c, tokenMlpDim: ds, channelMlpDim: dc }: MixerBlockSizes): number {
  return 2 * s * ds * c + 2 * s * c * dc;
}
