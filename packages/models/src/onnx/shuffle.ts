import { channelShufflePermutation, type ShuffleOrder } from '@netblocks/channel-shuffle';
import { configNumber, configString, layerError, nodeName, outputShape, singleInput, type LayerConverter } from './context.js';
import { layoutAxis } from './graph.js';

/** The channel count (TF.js last axis) of the layer's input. */
function channelsOf(ctx: Parameters<LayerConverter>[0]): number {
  const x = singleInput(ctx);
  const channels = x.shape[x.shape.length - 1];
  if (channels == null) throw layerError(ctx, 'needs a known channel count');
  return channels;
}

/**
 * NetblocksChannelShuffle as one Gather along the channel axis (axis 1 in NCHW, so no transpose):
 * output channel j reads input channel perm[j], with the permutation the layer's `groups` and
 * `order` ('paper' or 'megvii') define.
 */
const convertChannelShuffle: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const order = configString(ctx, 'order', 'paper');
  if (order !== 'paper' && order !== 'megvii') throw layerError(ctx, `unsupported order ${JSON.stringify(order)}`);
  const perm = channelShufflePermutation(channelsOf(ctx), configNumber(ctx, 'groups'), order as ShuffleOrder);
  const name = ctx.g.node('Gather', [x.name, ctx.g.int64s(perm)], nodeName(ctx), { axis: layoutAxis(x, -1) });
  return { name, layout: x.layout, shape: outputShape(ctx) };
};

/** NetblocksChannelSlice: channels [begin, begin + size) along the channel axis of either layout. */
const convertChannelSlice: LayerConverter = (ctx) => {
  const { g } = ctx;
  const x = singleInput(ctx);
  const begin = configNumber(ctx, 'begin');
  const size = configNumber(ctx, 'size');
  const inputs = [x.name, g.int64s([begin]), g.int64s([begin + size]), g.int64s([layoutAxis(x, -1)])];
  return { name: g.node('Slice', inputs, nodeName(ctx)), layout: x.layout, shape: outputShape(ctx) };
};

export const SHUFFLE_CONVERTERS: Record<string, LayerConverter> = {
  NetblocksChannelShuffle: convertChannelShuffle,
  NetblocksChannelSlice: convertChannelSlice,
};
