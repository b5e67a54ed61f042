/**
 * Rounds `value` to the nearest multiple of `divisor`, never below `minValue` and never more than
 * 10 % below `value` (the rule MobileNet and EfficientNet use for channel counts).
 */
export function makeDivisible(value: number, divisor = 8, minValue: number = divisor, roundLimit = 0.9): number {
  if (!(divisor > 0) || !Number.isInteger(divisor)) {
    throw new Error(`makeDivisible: \`divisor\` must be a positive integer (got divisor=${divisor})`);
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`makeDivisible: \`value\` must be a positive number (got value=${value})`);
  }
  let rounded = Math.max(minValue, Math.floor(value + divisor / 2) - (Math.floor(value + divisor / 2) % divisor));
  if (rounded < roundLimit * value) rounded += divisor;
  return rounded;
}

/** How a convolution or pooling window pads its input.
 * - `'torch'`: symmetric zero padding of `dilation * (kernel - 1) / 2` on each side, as PyTorch's
 *   `padding=k//2` does (at stride 2 on even inputs this differs from TF's `'same'`).
 * - `'same'`: TF's rule; the odd extra row/column goes at the bottom/right.
 * - `'valid'`: no padding. */
export type PaddingMode = 'torch' | 'same' | 'valid';

/** Explicit padding of one spatial axis: zeros added before and after. */
export type AxisPadding = readonly [before: number, after: number];

function checkWindow(fn: string, kernelSize: number, stride: number, dilation: number): void {
  for (const [name, v] of [['kernelSize', kernelSize], ['stride', stride], ['dilation', dilation]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: \`${name}\` must be a positive integer (got ${name}=${v})`);
  }
}

/** Extent of a dilated kernel: `dilation * (kernelSize - 1) + 1`. */
export function effectiveKernelSize(kernelSize: number, dilation = 1): number {
  return dilation * (kernelSize - 1) + 1;
}

/** PyTorch's symmetric padding for an odd kernel (`padding = dilation * (k - 1) / 2` each side). */
export function torchPadding(kernelSize: number, dilation = 1): AxisPadding {
  checkWindow('torchPadding', kernelSize, 1, dilation);
  const total = effectiveKernelSize(kernelSize, dilation) - 1;
  if (total % 2 !== 0) {
    throw new Error(
      `torchPadding: symmetric padding needs an odd effective kernel (got kernelSize=${kernelSize}, dilation=${dilation})`,
    );
  }
  return [total / 2, total / 2];
}

/** The padding TF's `'same'` applies along one axis of length `inputLength`. */
export function samePadding(inputLength: number, kernelSize: number, stride = 1, dilation = 1): AxisPadding {
  checkWindow('samePadding', kernelSize, stride, dilation);
  const outputLength = Math.ceil(inputLength / stride);
  const total = Math.max((outputLength - 1) * stride + effectiveKernelSize(kernelSize, dilation) - inputLength, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Zeros added before and after along one axis for `padding` (explicit pairs pass through). */
export function paddingAmounts(
  padding: PaddingMode | AxisPadding,
  inputLength: number,
  kernelSize: number,
  stride = 1,
  dilation = 1,
): AxisPadding {
  if (Array.isArray(padding)) return padding as AxisPadding;
  switch (padding) {
    case 'torch':
      return torchPadding(kernelSize, dilation);
    case 'same':
      return samePadding(inputLength, kernelSize, stride, dilation);
    case 'valid':
      checkWindow('paddingAmounts', kernelSize, stride, dilation);
      return [0, 0];
    default:
      throw new Error(`paddingAmounts: unknown \`padding\` (got padding=${JSON.stringify(padding)})`);
  }
}

/**
 * Output length of a convolution or pooling window along one axis:
 * `floor((in + before + after - dilation * (k - 1) - 1) / stride) + 1`, or rounded up with `ceilMode`
 * as PyTorch's pools allow (a window may not start in the right padding).
 */
export function convOutputLength(
  inputLength: number,
  kernelSize: number,
  stride = 1,
  padding: PaddingMode | AxisPadding = 'valid',
  dilation = 1,
  ceilMode = false,
): number {
  const [before, after] = paddingAmounts(padding, inputLength, kernelSize, stride, dilation);
  const span = inputLength + before + after - effectiveKernelSize(kernelSize, dilation);
  if (span < 0) {
    throw new Error(
      `convOutputLength: input of length ${inputLength} is smaller than the kernel (kernelSize=${kernelSize}, dilation=${dilation}, padding=${before}+${after})`,
    );
  }
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= inputLength + before) out -= 1;
  return out;
}

/** A value for height and width: one number for both, or `[height, width]`. */
export type SizePair = number | readonly [number, number];

/** `value` as `[height, width]`, checked to be positive integers; `owner` and `name` go into the error. */
export function positivePair(owner: string, name: string, value: SizePair): [number, number] {
  const pair: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  const ok = (typeof value === 'number' || (Array.isArray(value) && value.length === 2)) && pair.every((v) => Number.isInteger(v) && v >= 1);
  if (!ok) {
    throw new Error(`${owner}: \`${name}\` must be a positive integer or a pair of them (got ${name}=${JSON.stringify(value)})`);
  }
  return pair;
}

