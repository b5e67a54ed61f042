import { effectiveKernelSize, paddingAmounts, type AxisPadding, type PaddingMode } from '@netblocks/core';

/** How a conv pads its input: a mode (`'torch'`, `'same'`, `'valid'`, see core's `PaddingMode`), or
 * explicit zeros `[[top, bottom], [left, right]]`. */
export type ConvPadding = PaddingMode | readonly [AxisPadding, AxisPadding];

const MODES: readonly string[] = ['torch', 'same', 'valid'];

/**
 * Checks `padding` for a kernel of `kernelSize` dilated by `dilation`, and returns it in a
 * JSON-friendly form (a mode, or fresh explicit pairs). `'torch'` needs an odd dilated kernel on
 * both axes: PyTorch's `padding = (k - 1) / 2` is symmetric only then.
 */
export function checkPadding(
  owner: string,
  padding: ConvPadding,
  kernelSize: readonly [number, number],
  dilation: readonly [number, number],
): ConvPadding {
  if (typeof padding === 'string') {
    if (!MODES.includes(padding)) {
      throw new Error(
        `${owner}: \`padding\` must be 'torch', 'same', 'valid' or [[top, bottom], [left, right]] (got padding=${JSON.stringify(padding)})`,
      );
    }
    const even = [0, 1].some((axis) => (effectiveKernelSize(kernelSize[axis] ?? 1, dilation[axis] ?? 1) - 1) % 2 !== 0);
    if (padding === 'torch' && even) {
      throw new Error(
        `${owner}: \`padding\` 'torch' needs an odd dilated kernel (got kernelSize=${JSON.stringify(kernelSize)}, dilation=${JSON.stringify(dilation)})`,
      );
    }
    return padding;
  }
  const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
  const ok =
    Array.isArray(padding) &&
    padding.length === 2 &&
    padding.every((axis) => Array.isArray(axis) && axis.length === 2 && axis.every(isCount));
  if (!ok) {
    throw new Error(
      `${owner}: explicit \`padding\` must be [[top, bottom], [left, right]] of integers >= 0 (got padding=${JSON.stringify(padding)})`,
    );
  }
  const [[top, bottom], [left, right]] = padding;
  return [
    [top, bottom],
    [left, right],
  ];
}

/** Zeros before and after each spatial axis, `[[top, bottom], [left, right]]`, for an input of
 * `height` x `width`. */
export function explicitPadding(
  padding: ConvPadding,
  [height, width]: readonly [number, number],
  kernelSize: readonly [number, number],
  strides: readonly [number, number],
  dilation: readonly [number, number],
): [AxisPadding, AxisPadding] {
  if (typeof padding !== 'string') return [padding[0], padding[1]];
  return [
    paddingAmounts(padding, height, kernelSize[0], strides[0], dilation[0]),
    paddingAmounts(padding, width, kernelSize[1], strides[1], dilation[1]),
  ];
}

/**
 * Output length along one axis (`axis` 0 is height, 1 is width), or null when `inputLength` is
 * unknown. Throws, naming `owner`, when the padded input is shorter than the dilated kernel.
 */
export function outputLength(
  owner: string,
  axis: 0 | 1,
  inputLength: number | null,
  padding: ConvPadding,
  kernelSize: readonly [number, number],
  strides: readonly [number, number],
  dilation: readonly [number, number],
): number | null {
  if (inputLength === null) return null;
  const kernel = kernelSize[axis];
  const stride = strides[axis];
  const rate = dilation[axis];
  const [before, after] = typeof padding === 'string' ? paddingAmounts(padding, inputLength, kernel, stride, rate) : padding[axis];
  const span = inputLength + before + after - effectiveKernelSize(kernel, rate);
  if (span < 0) {
    const what = axis === 0 ? 'height' : 'width';
    throw new Error(
      `${owner}: the input ${what} ${inputLength} padded by ${before}+${after} is smaller than the dilated kernel ` +
        `(kernelSize=${kernel}, dilation=${rate})`,
    );
  }
  return Math.floor(span / stride) + 1;
}
