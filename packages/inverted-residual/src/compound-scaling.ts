import { makeDivisible } from '@netblocks/core';

/**
 * EfficientNet's width scaling (`round_filters`): `filters * widthCoefficient` rounded to the
 * nearest multiple of `divisor`, at least `divisor`, and bumped up by one `divisor` when rounding
 * lost more than 10 %: `n = max(d, floor((f + d/2) / d) * d); if n < 0.9 f: n += d`.
 */
export function scaleWidth(filters: number, widthCoefficient: number, divisor = 8): number {
  if (!Number.isInteger(filters) || filters < 1) throw new Error(`scaleWidth: \`filters\` must be a positive integer (got filters=${filters})`);
  if (!(widthCoefficient > 0) || !Number.isFinite(widthCoefficient)) {
    throw new Error(`scaleWidth: \`widthCoefficient\` must be a positive number (got widthCoefficient=${widthCoefficient})`);
  }
  return makeDivisible(filters * widthCoefficient, divisor);
}

/** EfficientNet's depth scaling (`round_repeats`): `ceil(depthCoefficient * repeats)`. */
export function scaleDepth(repeats: number, depthCoefficient: number): number {
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`scaleDepth: \`repeats\` must be a positive integer (got repeats=${repeats})`);
  if (!(depthCoefficient > 0) || !Number.isFinite(depthCoefficient)) {
    throw new Error(`scaleDepth: \`depthCoefficient\` must be a positive number (got depthCoefficient=${depthCoefficient})`);
  }
  return Math.ceil(depthCoefficient * repeats);
}
