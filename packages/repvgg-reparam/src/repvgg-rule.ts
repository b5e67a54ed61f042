import type * as tf from '@tensorflow/tfjs';
import { batchNormParamsOf, type GraphNode, type ModelGraph } from '@netblocks/core';
import { cloneLayer, uniformZeroPadding, type ConvLayerInfo } from './conv-layers.js';
import { isChannelsBatchNorm, soleConvBefore } from './conv-bn-rule.js';
import { fuseBranches, type RepBranch } from './op.js';
import type { ReparameterizationRule } from './reparameterizable.js';

/** One input of the Add, traced back to the tensor it is computed from. */
type Branch =
  | { kind: 'conv'; conv: ConvLayerInfo; bn: tf.layers.Layer; source: tf.SymbolicTensor; convInput: tf.SymbolicTensor; padding: number }
  | { kind: 'identity'; bn: tf.layers.Layer; source: tf.SymbolicTensor };

/** `BN(conv(pad?(x)))` or `BN(x)` ending in `tensor`, with each intermediate used only there; else null. */
function traceBranch(tensor: tf.SymbolicTensor, add: GraphNode, graph: ModelGraph): Branch | null {
  const bn = tensor.sourceLayer;
  const bnCall = graph.singleCall(bn);
  const bnInput = bnCall?.inputTensors[0];
  if (bnCall === null || bnInput === undefined || bnCall !== graph.producer(tensor) || !graph.feedsOnly(tensor, add)) return null;
  if (!isChannelsBatchNorm(bn, tensor.shape.length)) return null;
  const conv = soleConvBefore(bnInput, bnCall, graph);
  if (conv === null) return { kind: 'identity', bn, source: bnInput };
  const convInput = graph.singleCall(conv.layer)?.inputTensors[0];
  if (convInput === undefined || conv.ownPadding === null) return null;
  // A ZeroPadding2D right before the conv (what 'torch' padding builds) counts as the conv's own.
  const extra = uniformZeroPadding(convInput.sourceLayer);
  const source = extra === null ? convInput : graph.producer(convInput).inputTensors[0];
  if (source === undefined) return null;
  return { kind: 'conv', conv, bn, source, convInput, padding: conv.ownPadding + (extra ?? 0) };
}

/** The longest dot-separated prefix the names share (`stage1.0` for `stage1.0.rbr_dense.conv`, `stage1.0.add`). */
function commonPrefix(names: readonly string[]): string {
  const parts = names.map((n) => n.split('.'));
  const first = parts[0] ?? [];
  let length = 0;
  while (length < first.length - 1 && parts.every((p) => p.length > length + 1 && p[length] === first[length])) length++;
  return first.slice(0, length).join('.');
}

/**
 * Rule: an Add whose inputs are all `BN(conv(x))` or `BN(x)` branches of the same tensor `x` (the
 * RepVGG block, and any block of that shape: ACNet/DBB-style kxk + 1x1 + identity), with convs of
 * one stride and one group count, odd kernels read with centred padding `d(k-1)/2`, the larger
 * kernels of one dilation d (a 1x1 fits any), and no intermediate used elsewhere. It becomes one
 * conv of the largest kernel, with bias, configured as that branch's conv (dilation included: the
 * 1x1 and identity taps go to the centre of the dilated kernel, where they read the same pixel),
 * reading what that conv read (its pad layer stays), named
 * `${prefix}.rbr_reparam` after the layers' common name prefix (the official deploy name).
 */
export const repvggRule: ReparameterizationRule = (layer, graph) => {
  if (layer.getClassName() !== 'Add') return null;
  const add = graph.singleCall(layer);
  const output = add?.outputTensors[0];
  if (add === null || output === undefined || add.inputTensors.length < 2) return null;
  const branches: Branch[] = [];
  for (const input of add.inputTensors) {
    const branch = traceBranch(input, add, graph);
    if (branch === null) return null;
    branches.push(branch);
  }
  const convs = branches.filter((b): b is Extract<Branch, { kind: 'conv' }> => b.kind === 'conv');
  const primary = convs.reduce<(typeof convs)[number] | undefined>((best, b) => (best && best.conv.kernelSize >= b.conv.kernelSize ? best : b), undefined);
  if (primary === undefined) return null;
  const { strides, groups, kernelSize, dilation } = primary.conv;
  const source = (branches[0] as Branch).source;
  const sameSource = branches.every((b) => b.source.id === source.id);
  // Each kernel must be centred (padding d(k-1)/2) and sit on the fused kernel's grid: a smaller
  // kernel padded around its centre only lands on the dilated taps when it has the same dilation,
  // or is 1x1 (its one tap is the centre at any dilation).
  const aligned = convs.every(
    (b) =>
      b.conv.type !== 'depthwiseConv2d' &&
      b.conv.strides === strides &&
      b.conv.groups === groups &&
      (b.conv.kernelSize === 1 || b.conv.dilation === dilation) &&
      b.padding === (b.conv.dilation * (b.conv.kernelSize - 1)) / 2,
  );
  const channels = primary.conv.kernel.shape[3];
  const identityFits = strides === 1 && source.shape[3] === channels;
  if (!sameSource || !aligned || (convs.length < branches.length && !identityFits)) return null;

  const layers = [...branches.flatMap((b) => (b.kind === 'conv' ? [b.conv.layer, b.bn] : [b.bn])), layer];
  const prefix = commonPrefix(layers.map((l) => l.name));
  const name = `${prefix === '' ? layer.name : prefix}.rbr_reparam`;
  return {
    kind: 'repvgg',
    layers,
    input: primary.convInput,
    output,
    createLayer: () => cloneLayer(primary.conv.layer, { name, useBias: true }),
    fuse: () => {
      const rep: RepBranch[] = branches.map((b) =>
        b.kind === 'conv'
          ? { kind: 'conv', kernel: b.conv.kernel, bias: b.conv.bias, batchNorm: batchNormParamsOf(b.bn) }
          : { kind: 'identity', batchNorm: batchNormParamsOf(b.bn) },
      );
      return fuseBranches(rep, { kernelSize, groups });
    },
  };
};
