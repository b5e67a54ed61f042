import * as tf from '@tensorflow/tfjs';

type Pair = [number, number];

/** The kernels whose TF.js 4.22 gradients reject dilation > 1. */
const KERNELS = ['Conv2D', 'DepthwiseConv2dNative'] as const;

/** Marks our gradient configs and holds the one each replaced. `Symbol.for`, so that two copies of
 * this package (ESM and CJS builds, two versions) see each other's registration. */
const REPLACED = Symbol.for('@netblocks/core/dilated-gradients');

type DilatedGradConfig = tf.GradConfig & { [REPLACED]: tf.GradConfig };

function pairOf(value: unknown): Pair {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'number') return [value[0], value[1]];
  return [1, 1];
}

/** `t` with `rate - 1` zeros inserted between neighbours along `axis` (no zeros after the last). */
function spreadAxis(t: tf.Tensor4D, axis: 0 | 1, rate: number): tf.Tensor4D {
  if (rate === 1) return t;
  const shape = t.shape;
  const length = shape[axis];
  // [.., L, ..] -> [.., L, 1, ..] -> pad to [.., L, rate, ..] -> [.., L * rate, ..] -> first rate * (L - 1) + 1.
  const split = [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)];
  const padding = split.map((_, i): Pair => (i === axis + 1 ? [0, rate - 1] : [0, 0]));
  const merged = [...shape] as number[];
  merged[axis] = length * rate;
  const size = [...shape] as number[];
  size[axis] = rate * (length - 1) + 1;
  return tf.slice(tf.reshape(tf.pad(tf.reshape(t, split), padding), merged), [0, 0, 0, 0], size) as tf.Tensor4D;
}

/**
 * The dense kernel a dilated kernel stands for: `dilation - 1` zeros between neighbouring taps, so
 * `[kh, kw, Cin, Cout]` (or a depthwise `[kh, kw, C, m]`) becomes `[dh*(kh-1)+1, dw*(kw-1)+1, ., .]`.
 * A conv with `filter` at `dilations` equals the undilated conv with `spreadKernel(filter, dilations)`
 * (same padding: the kernel extent is unchanged). Built from pad, reshape and slice, so it is
 * differentiable; at dilation 1 it returns `filter` itself.
 */
export function spreadKernel(filter: tf.Tensor4D, dilations: number | readonly [number, number]): tf.Tensor4D {
  const [dh, dw] = pairOf(dilations);
  if (dh === 1 && dw === 1) return filter;
  return tf.tidy(() => spreadAxis(spreadAxis(filter, 0, dh), 1, dw));
}

/**
 * TF.js's own gradient of `original.kernelName` at dilation 1, and at dilation > 1 the gradient of
 * the equivalent undilated conv with the spread kernel: dx is TF.js's backprop-input with the spread
 * kernel; dfilter is its backprop-filter of the spread shape, read back at the taps (a strided slice).
 * Every other attribute (strides, pad, dataFormat, dimRoundingMode) passes through unchanged.
 */
function dilatedGradConfig(original: tf.GradConfig): DilatedGradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [dh, dw] = pairOf(attrs['dilations']);
      if (dh === 1 && dw === 1) return original.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const spread = spreadKernel(filter, [dh, dw]);
      const grads = original.gradFunc(dy, [x, spread], { ...attrs, dilations: [1, 1] });
      const dSpread = grads['filter'];
      if (dSpread === undefined) return grads;
      return { ...grads, filter: () => tf.stridedSlice(dSpread(), [0, 0, 0, 0], spread.shape, [dh, dw, 1, 1]) };
    },
    [REPLACED]: original,
  };
}

function isDilatedGradConfig(config: tf.GradConfig | undefined): config is DilatedGradConfig {
  return config !== undefined && REPLACED in config;
}

/**
 * Makes dilated convolutions differentiable: re-registers the gradients of the TF.js kernels
 * `Conv2D` and `DepthwiseConv2dNative` (which reject dilation > 1 in TF.js 4.22) so that dilation > 1
 * works, delegating to TF.js's own gradients at dilation 1 (same results and speed there). It is
 * idempotent, also across copies of this package, and returns the kernel names it registered
 * (none the second time). The gradient registry is global to TF.js, so this covers `tf.conv2d` and
 * `tf.depthwiseConv2d` called anywhere, on every backend. `convolve2d` (every netblocks conv) calls
 * it before a dilated conv; importing `@netblocks/core/register` calls it too.
 */
export function registerDilatedGradients(): string[] {
  const registered: string[] = [];
  for (const kernelName of KERNELS) {
    const current = tf.getGradient(kernelName);
    if (current === undefined || isDilatedGradConfig(current)) continue;
    tf.registerGradient(dilatedGradConfig(current));
    registered.push(kernelName);
  }
  return registered;
}
