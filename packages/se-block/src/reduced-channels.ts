import { makeDivisible } from '@netblocks/core';

/**
 * How wide the squeeze (the reduced FC) is: a ratio of a stated base channel count, or a count.
 *
 * The base matters (REFERENCE.md trap 7): SENet reduces to C/16 of the channels it gates, which
 * are the block's output channels; EfficientNet reduces to 0.25 of the block's *input* channels,
 * while gating the expanded tensor (6x wider). One ratio without "of what" reproduces only one.
 */
export type SeWidth =
  | {
      /** Reduced width = `ratio * base` (SENet 1/16, EfficientNet 0.25). */
      ratio: number;
      /**
       * What the ratio is of:
       * - `'output'`: the channels the SE gates (and outputs) — the block output in SE-ResNet,
       *   the expanded tensor in MobileNetV3;
       * - `'input'`: the enclosing block's input channels (EfficientNet), given as `baseChannels`
       *   (block builders such as `invertedResidual` fill it in).
       */
      of: 'output' | 'input';
      /** The base channel count. Default for `'output'`: the gated channels; required for `'input'`. */
      baseChannels?: number;
      /** Round `ratio * base` with `makeDivisible(v, divisor, divisor, roundLimit)` (timm's `rd_divisor`).
       * Default none: `max(1, floor(ratio * base))`, as torchvision's EfficientNet (`max(1, c // 4)`). */
      divisor?: number;
      /** `makeDivisible`'s round limit, used with `divisor`. Default 0 (timm's `SEModule`: never
       * bumped up by a divisor); torchvision's `_make_divisible` (MobileNetV3) uses 0.9. */
      roundLimit?: number;
    }
  | {
      /** The reduced width itself (timm's `rd_channels`, torchvision's `squeeze_channels`). */
      channels: number;
    };

/** SENet's default: C/16 of the gated channels, floored. */
export const SENET_WIDTH: SeWidth = { ratio: 1 / 16, of: 'output' };

function positiveInteger(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`seReducedChannels: \`${what}\` must be a positive integer (got ${what}=${String(value)})`);
  }
  return value;
}

/**
 * The reduced width of a squeeze-and-excitation that gates `channels` channels.
 *
 * Without a divisor the product is floored (Python's `int`, and `//` in torchvision's
 * `max(1, input_channels // 4)`), at least 1. With one it is `makeDivisible`'s nearest multiple,
 * at least `divisor` (timm's `SEModule`: `make_divisible(C * rd_ratio, rd_divisor, round_limit=0)`).
 */
export function seReducedChannels(width: SeWidth, channels: number): number {
  positiveInteger('channels', channels);
  if ('channels' in width) return positiveInteger('width.channels', width.channels);
  const { ratio, of } = width;
  if (typeof ratio !== 'number' || !(ratio > 0) || !Number.isFinite(ratio)) {
    throw new Error(`seReducedChannels: \`width.ratio\` must be a positive number (got width.ratio=${String(ratio)})`);
  }
  if (of !== 'output' && of !== 'input') {
    throw new Error(`seReducedChannels: \`width.of\` must be 'output' or 'input' (got width.of=${JSON.stringify(of)})`);
  }
  if (of === 'input' && width.baseChannels === undefined) {
    throw new Error(
      "seReducedChannels: a ratio `of: 'input'` needs `width.baseChannels`, the block's input channels (got width.baseChannels=undefined)",
    );
  }
  const base = positiveInteger('width.baseChannels', width.baseChannels ?? channels);
  const value = ratio * base;
  if (width.divisor === undefined) return Math.max(1, Math.floor(value));
  const divisor = positiveInteger('width.divisor', width.divisor);
  const roundLimit = width.roundLimit ?? 0;
  if (!(roundLimit >= 0 && roundLimit <= 1)) {
    throw new Error(`seReducedChannels: \`width.roundLimit\` must be in [0, 1] (got width.roundLimit=${roundLimit})`);
  }
  return makeDivisible(value, divisor, divisor, roundLimit);
}
