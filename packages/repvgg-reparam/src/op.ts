import * as tf from '@tensorflow/tfjs';
import { foldBatchNormIntoConv, type BatchNormParams, type FoldedKernel } from '@netblocks/core';

/**
 * One branch of a multi-branch block, as `fuseBranches` folds it: a conv (HWIO kernel
 * `[k, k, Cin/groups, Cout]`, optional bias) or the identity, each optionally followed by a BatchNorm.
 */
export type RepBranch =
  | { kind: 'conv'; kernel: tf.Tensor4D; bias?: tf.Tensor1D; batchNorm?: BatchNormParams }
  | { kind: 'identity'; batchNorm?: BatchNormParams };

/** Options of `fuseBranches`. */
export interface FuseBranchesOptions {
  /** Side of the fused kernel (odd). Default: the largest conv branch's kernel, or 1 with identity branches only. */
  kernelSize?: number;
  /** Groups of the fused conv, which every conv branch shares. Default 1. */
  groups?: number;
  /** Channels of the block (`Cin = Cout`), needed only when no branch is a conv or has a BatchNorm. */
  channels?: number;
}

function checkOddSize(fn: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value % 2 === 0) {
    throw new Error(`${fn}: \`${name}\` must be a positive odd integer (got ${name}=${value})`);
  }
}

/**
 * The kernel of the identity as a (grouped) conv: HWIO `[k, k, channels/groups, channels]`, zero but
 * for a 1 at the centre of each output channel `i` on its own input channel. Inside group `g`, input
 * channel `i` is the `i % (channels/groups)`-th one, so the 1 sits at `[c, c, i % (channels/groups), i]`
 * (RepVGG's `id_tensor[i, i % input_dim, 1, 1]` in PyTorch's OIHW layout).
 */
export function identityKernel(channels: number, groups = 1, kernelSize = 3): tf.Tensor4D {
  const fn = 'identityKernel';
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`${fn}: \`channels\` must be a positive integer (got channels=${channels})`);
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new Error(`${fn}: \`groups\` must divide \`channels\` (got channels=${channels}, groups=${groups})`);
  }
  checkOddSize(fn, 'kernelSize', kernelSize);
  const perGroup = channels / groups;
  const centre = (kernelSize - 1) / 2;
  const buffer = tf.buffer([kernelSize, kernelSize, perGroup, channels], 'float32');
  for (let i = 0; i < channels; i++) buffer.set(1, centre, centre, i % perGroup, i);
  return buffer.toTensor() as tf.Tensor4D;
}

/**
 * Zero-pads an HWIO kernel around its centre to `kernelSize x kernelSize` (RepVGG's
 * `_pad_1x1_to_3x3_tensor`): a 1x1 conv equals a 3x3 conv whose only non-zero tap is the centre,
 * when both read the input with their own centred padding.
 */
export function padKernelToSize(kernel: tf.Tensor4D, kernelSize: number): tf.Tensor4D {
  const fn = 'padKernelToSize';
  checkOddSize(fn, 'kernelSize', kernelSize);
  const [kh, kw] = kernel.shape;
  if (kh !== kw || kh % 2 === 0 || kh > kernelSize) {
    throw new Error(`${fn}: \`kernel\` must be square, odd and at most ${kernelSize} wide (got kernel shape [${kernel.shape}], kernelSize=${kernelSize})`);
  }
  const d = (kernelSize - kh) / 2;
  if (d === 0) return kernel.clone();
  // Two concats with zero blocks: the same as tf.pad, several times faster on the cpu backend.
  return tf.tidy(() => {
    const [, , cin, cout] = kernel.shape;
    const side = tf.zeros([kh, d, cin, cout]);
    const row = tf.concat([side, kernel, side], 1);
    const cap = tf.zeros([d, kernelSize, cin, cout]);
    return tf.concat([cap, row, cap], 0) as tf.Tensor4D;
  });
}

/** Output channels of the block: from a conv kernel, else from a BatchNorm, else `channels`. */
function blockChannels(branches: readonly RepBranch[], channels: number | undefined): number {
  for (const branch of branches) {
    if (branch.kind === 'conv') return branch.kernel.shape[3];
  }
  for (const branch of branches) {
    if (branch.batchNorm) return branch.batchNorm.movingMean.shape[0];
  }
  if (channels === undefined) {
    throw new Error('fuseBranches: `channels` is needed when no branch is a conv or has a BatchNorm (got channels=undefined)');
  }
  return channels;
}

/**
 * Structural re-parameterization (RepVGG, Ding et al. 2021, sec. 3.3): the kernel and bias of the
 * one conv that equals the sum of `branches`. Each branch's BatchNorm is folded into its kernel,
 * `W' = W * gamma / sigma`, `b' = beta + (b - mu) * gamma / sigma` with `sigma = sqrt(var + eps)`;
 * the identity is the one-hot `identityKernel`; smaller kernels are padded to `kernelSize` around
 * their centre; then kernels and biases add up. Differentiable (usable for penalties during
 * training). The caller owns the returned tensors.
 */
export function fuseBranches(branches: readonly RepBranch[], options: FuseBranchesOptions = {}): FoldedKernel {
  const fn = 'fuseBranches';
  if (branches.length === 0) throw new Error(`${fn}: \`branches\` must hold at least one branch (got 0)`);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${fn}: \`groups\` must be a positive integer (got groups=${groups})`);
  const convs = branches.filter((b): b is Extract<RepBranch, { kind: 'conv' }> => b.kind === 'conv');
  const kernelSize = options.kernelSize ?? Math.max(1, ...convs.map((b) => b.kernel.shape[0]));
  checkOddSize(fn, 'kernelSize', kernelSize);
  const cout = blockChannels(branches, options.channels);
  if (cout % groups !== 0) throw new Error(`${fn}: \`groups\` must divide the channels (got channels=${cout}, groups=${groups})`);
  const perGroupIn = convs[0]?.kernel.shape[2];
  for (const { kernel } of convs) {
    const [kh, kw] = kernel.shape;
    if (kh !== kw || kh % 2 === 0 || kh > kernelSize) {
      throw new Error(`${fn}: every conv kernel must be square, odd and at most kernelSize wide (got kernel shape [${kernel.shape}], kernelSize=${kernelSize})`);
    }
    if (kernel.shape[3] !== cout || kernel.shape[2] !== perGroupIn) {
      throw new Error(`${fn}: every conv branch must have the same [Cin/groups, Cout] (got kernel shapes ${convs.map((b) => `[${b.kernel.shape}]`).join(', ')})`);
    }
  }
  if (convs.length < branches.length && perGroupIn !== undefined && perGroupIn * groups !== cout) {
    throw new Error(`${fn}: an identity branch needs Cin == Cout (got Cin=${perGroupIn * groups}, Cout=${cout}, groups=${groups})`);
  }
  return tf.tidy(() => {
    // Kernels of one size are summed before padding (the identity as a 1x1 one-hot), so that each
    // size costs one pad and one add at full size: what keeps big models quick on the cpu backend.
    const bySize = new Map<number, tf.Tensor4D>();
    let bias: tf.Tensor1D | undefined;
    for (const branch of branches) {
      const raw = branch.kind === 'conv' ? branch.kernel : identityKernel(cout, groups, 1);
      const rawBias = branch.kind === 'conv' ? branch.bias : undefined;
      const folded = branch.batchNorm ? foldBatchNormIntoConv(raw, rawBias, branch.batchNorm) : { kernel: raw, bias: rawBias };
      const size = raw.shape[0];
      const sameSize = bySize.get(size);
      bySize.set(size, sameSize ? tf.add<tf.Tensor4D>(sameSize, folded.kernel) : (folded.kernel as tf.Tensor4D));
      if (folded.bias) bias = bias ? tf.add<tf.Tensor1D>(bias, folded.bias) : folded.bias;
    }
    let kernel: tf.Tensor4D | undefined;
    for (const [size, sum] of bySize) {
      const padded = size === kernelSize ? sum : padKernelToSize(sum, kernelSize);
      kernel = kernel ? tf.add<tf.Tensor4D>(kernel, padded) : padded;
    }
    // Never hand back a caller's own tensor as if it were new.
    const owned = (t: tf.Tensor | undefined) => t !== undefined && branches.some((b) => b.kind === 'conv' && (b.kernel === t || b.bias === t));
    return {
      kernel: owned(kernel) ? (kernel as tf.Tensor4D).clone() : (kernel as tf.Tensor4D),
      bias: bias === undefined ? tf.zeros<tf.Rank.R1>([cout]) : owned(bias) ? bias.clone() : bias,
    };
  });
}
