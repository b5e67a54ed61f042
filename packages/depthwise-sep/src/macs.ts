function checkSizes(fn: string, sizes: Record<string, number>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: \`${name}\` must be a positive integer (got ${name}=${value})`);
  }
}

/**
 * Multiply-adds of a standard `k x k` conv from `inChannels` to `outChannels` over an output of
 * `height` x `width` positions: `H * W * Cin * Cout * k^2` (MobileNets, eq. 1).
 */
export function standardConvMacs(height: number, width: number, inChannels: number, outChannels: number, kernelSize: number): number {
  checkSizes('standardConvMacs', { height, width, inChannels, outChannels, kernelSize });
  return height * width * inChannels * outChannels * kernelSize * kernelSize;
}

/**
 * Multiply-adds of a depthwise-separable conv (a `k x k` depthwise conv, then a 1x1 pointwise conv
 * from `inChannels` to `outChannels`) over an output of `height` x `width` positions:
 * `H * W * Cin * k^2 + H * W * Cin * Cout` (MobileNets, eq. 4). Against a standard conv it costs
 * `1 / Cout + 1 / k^2` as much (eq. 5): about 8 to 9 times less for 3x3 kernels.
 */
export function depthwiseSeparableMacs(
  height: number,
  width: number,
  inChannels: number,
  outChannels: number,
  kernelSize: number,
): number {
  checkSizes('depthwiseSeparableMacs', { height, width, inChannels, outChannels, kernelSize });
  return height * width * inChannels * kernelSize * kernelSize + height * width * inChannels * outChannels;
}
