import * as tf from '@tensorflow/tfjs';
import { activationLayer, batchNorm, DilatedConv2D, torchPad, type BatchNormArgs, type BlockFn } from '@netblocks/core';
import { GroupConv2D, type BranchAttention } from '@netblocks/group-conv';

export interface RepVGGBlockArgs extends BatchNormArgs {
  /** Name prefix, e.g. `stage1.0`. Layers follow the official RepVGG code: `${name}.rbr_dense.conv`,
   * `.rbr_dense.bn`, `.rbr_1x1.conv`, `.rbr_1x1.bn`, `.rbr_identity`, `.add`, `.se`, `.nonlinearity`;
   * deploy form `${name}.rbr_reparam`; `${name}.pad` when the 3x3 conv needs explicit padding. */
  name: string;
  /** Input channels; the input tensor must have them. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Stride of the 3x3 and the 1x1 conv. Default 1. */
  strides?: number;
  /** Dilation of the 3x3 conv (timm's `RepVggBlock` with `output_stride` 16 / 8), padded
   * `dilation` on every side; the 1x1 conv and the identity are not dilated (a 1x1 tap is the
   * centre either way). Not together with a stride above 1. Default 1. */
  dilation?: number;
  /** Groups of the 3x3 and the 1x1 conv (RepVGG-g2/g4); must divide both channel counts. Default 1. */
  groups?: number;
  /**
   * Whether the block may have the identity branch, which it has only where `inChannels ==
   * outChannels` at stride 1. false for the block that gave up its stride to a dilation (timm's
   * byobnet: `use_ident` needs `dilation[0] == dilation[1]`), which so keeps the stride-32 block's
   * weights. Default true.
   */
  identity?: boolean;
  /**
   * `'torch'` (default): symmetric padding 1 as PyTorch's `padding=1` (a `ZeroPadding2D` named
   * `${name}.pad` before a plain Conv2D; GroupConv2D pads inside). `'same'`: TF.js same padding in
   * the conv, no pad layer; allowed at stride 1 only, where it equals `'torch'` (at stride 2 TF's
   * bottom/right padding moves the 3x3 window off the 1x1 branch and the branches no longer fuse).
   */
  padding?: 'torch' | 'same';
  /** Build the inference form: one 3x3 conv with bias (`${name}.rbr_reparam`) and the ReLU. Default false. */
  deploy?: boolean;
  /** Applied to the branch sum before the ReLU, named `${name}.se` (the official code's `use_se`
   * SE block sits there). Kept as is by `reparameterize`. Default none. */
  attention?: BranchAttention;
}

/** `RepVGGBlockArgs` with every default filled in. */
export type ResolvedRepVGGBlockArgs = Required<Omit<RepVGGBlockArgs, 'attention'>> & { attention: BranchAttention | null };

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`repvggBlock: \`${name}\` must be a positive integer (got ${name}=${value})`);
  return value;
}

/** Fills in the defaults of `RepVGGBlockArgs` and checks every field. */
export function resolveRepVGGBlockArgs(args: RepVGGBlockArgs): ResolvedRepVGGBlockArgs {
  if (typeof args.name !== 'string' || args.name.length === 0) {
    throw new Error(`repvggBlock: \`name\` must be a non-empty string (got name=${JSON.stringify(args.name)})`);
  }
  const inChannels = positiveInt('inChannels', args.inChannels);
  const outChannels = positiveInt('outChannels', args.outChannels);
  const strides = positiveInt('strides', args.strides ?? 1);
  const dilation = positiveInt('dilation', args.dilation ?? 1);
  // TF.js's conv2d takes a stride or a dilation above 1, not both.
  if (strides > 1 && dilation > 1) throw new Error(`repvggBlock: \`strides\` and \`dilation\` cannot both exceed 1 (got strides=${strides}, dilation=${dilation})`);
  const groups = positiveInt('groups', args.groups ?? 1);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new Error(`repvggBlock: \`groups\` must divide \`inChannels\` and \`outChannels\` (got inChannels=${inChannels}, outChannels=${outChannels}, groups=${groups})`);
  }
  const padding = args.padding ?? 'torch';
  if (padding !== 'torch' && padding !== 'same') {
    throw new Error(`repvggBlock: \`padding\` must be 'torch' or 'same' (got padding=${JSON.stringify(padding)})`);
  }
  if (padding === 'same' && strides !== 1) {
    throw new Error(`repvggBlock: \`padding: 'same'\` misaligns the 3x3 and 1x1 branches at stride ${strides}; use 'torch' (got padding='same', strides=${strides})`);
  }
  const epsilon = args.epsilon ?? 1e-5;
  if (!(epsilon > 0)) throw new Error(`repvggBlock: \`epsilon\` must be positive (got epsilon=${epsilon})`);
  const momentum = args.momentum ?? 0.9;
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`repvggBlock: \`momentum\` must be in [0, 1] (got momentum=${momentum})`);
  return {
    name: args.name,
    inChannels,
    outChannels,
    strides,
    dilation,
    groups,
    identity: args.identity ?? true,
    padding,
    deploy: args.deploy ?? false,
    epsilon,
    momentum,
    attention: args.attention ?? null,
  };
}

/** True when the block has the identity branch: RepVGG keeps it only where `x` can be added as is
 * (and not where `identity` is false). */
export function hasIdentityBranch(args: { inChannels: number; outChannels: number; strides?: number; identity?: boolean }): boolean {
  return (args.identity ?? true) && args.inChannels === args.outChannels && (args.strides ?? 1) === 1;
}

/** A conv without activation: plain Conv2D when ungrouped (`'valid'` after the pad layer, or
 * `'same'`), GroupConv2D otherwise (which pads as PyTorch itself). Only the 3x3 convs are dilated;
 * a dilated ungrouped one is core's DilatedConv2D (same name, weights and config keys), since the
 * stock Conv2D runs tf.fused.conv2d, whose gradient rejects dilation > 1. */
function conv(a: ResolvedRepVGGBlockArgs, name: string, kernelSize: number, useBias: boolean): tf.layers.Layer {
  const { outChannels: filters, strides, groups, padding } = a;
  const dilationRate = kernelSize > 1 ? a.dilation : 1;
  if (groups > 1) return new GroupConv2D({ name, filters, kernelSize, strides, dilationRate, groups, padding, useBias });
  const args = { name, filters, kernelSize, strides, dilationRate, useBias, padding: padding === 'same' ? ('same' as const) : ('valid' as const) };
  return dilationRate > 1 ? new DilatedConv2D(args) : tf.layers.conv2d(args);
}

const applyLayer = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor =>
  layer.apply(x) as tf.SymbolicTensor;

/**
 * The RepVGG block (Ding et al. 2021, fig. 2), Keras functional style. Training form:
 * `ReLU(BN(conv3x3(x)) + BN(conv1x1(x)) + BN(x))` (the 3x3 conv optionally dilated), the identity
 * branch only when `inChannels == outChannels` and stride 1, convs without bias. Deploy form
 * (`deploy: true`, or what `reparameterize` makes of the training form): `ReLU(conv3x3(x) + b)`.
 */
export function repvggBlock(args: RepVGGBlockArgs): BlockFn {
  const a = resolveRepVGGBlockArgs(args);
  const { name } = a;
  // The pad feeds the 3x3 conv only; the 1x1 conv reads x unpadded (PyTorch's padding_11 = 0).
  const pad = a.padding === 'torch' && a.groups === 1 ? torchPad(`${name}.pad`, 3, a.dilation) : (x: tf.SymbolicTensor) => x;
  const attention = a.attention?.(`${name}.se`, a.outChannels) ?? ((x: tf.SymbolicTensor) => x);
  const relu = activationLayer('relu', `${name}.nonlinearity`);
  const checkInput = (x: tf.SymbolicTensor): void => {
    const channels = x.shape[x.shape.length - 1];
    if (x.shape.length !== 4 || channels !== a.inChannels) {
      throw new Error(`repvggBlock ${name}: the input must be NHWC with \`inChannels\` channels (got inChannels=${a.inChannels}, input shape ${JSON.stringify(x.shape)})`);
    }
  };
  if (a.deploy) {
    const reparam = conv(a, `${name}.rbr_reparam`, 3, true);
    return (x) => {
      checkInput(x);
      return applyLayer(relu, attention(applyLayer(reparam, pad(x))));
    };
  }
  const dense = { conv: conv(a, `${name}.rbr_dense.conv`, 3, false), bn: batchNorm(`${name}.rbr_dense.bn`, a) };
  const pointwise = { conv: conv(a, `${name}.rbr_1x1.conv`, 1, false), bn: batchNorm(`${name}.rbr_1x1.bn`, a) };
  const identity = hasIdentityBranch(a) ? batchNorm(`${name}.rbr_identity`, a) : null;
  const add = tf.layers.add({ name: `${name}.add` });
  return (x) => {
    checkInput(x);
    const branches = [
      applyLayer(dense.bn, applyLayer(dense.conv, pad(x))),
      applyLayer(pointwise.bn, applyLayer(pointwise.conv, x)),
    ];
    if (identity) branches.push(applyLayer(identity, x));
    return applyLayer(relu, attention(applyLayer(add, branches)));
  };
}
