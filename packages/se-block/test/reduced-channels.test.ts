import { describe, expect, it } from 'vitest';
import { seReducedChannels, type SeWidth } from '../src/reduced-channels.js';

describe('seReducedChannels', () => {
  it('SENet: C/16 of the gated (block output) channels', () => {
    const senet: SeWidth = { ratio: 1 / 16, of: 'output' };
    expect([256, 512, 1024, 2048].map((c) => seReducedChannels(senet, c))).toEqual([16, 32, 64, 128]);
  });

  it('EfficientNet: 0.25 of the block INPUT channels while gating the expanded tensor (trap 7)', () => {
    // B0 block 2.0: 16 in, expanded 6x to 96, SE of 16 / 4 = 4 (not 96 / 4 = 24).
    expect(seReducedChannels({ ratio: 0.25, of: 'input', baseChannels: 16 }, 96)).toBe(4);
    expect(seReducedChannels({ ratio: 0.25, of: 'output' }, 96)).toBe(24);
    // B0 block 1.0 (t = 1): 32 in, SE of 8.
    expect(seReducedChannels({ ratio: 0.25, of: 'input', baseChannels: 32 }, 32)).toBe(8);
  });

  it('without a divisor floors, as Python int() and // do, and never goes below 1', () => {
    expect(seReducedChannels({ ratio: 0.25, of: 'input', baseChannels: 30 }, 180)).toBe(7); // 7.5 -> 7
    expect(seReducedChannels({ ratio: 1 / 16, of: 'output' }, 24)).toBe(1); // 1.5 -> 1
    expect(seReducedChannels({ ratio: 1 / 16, of: 'output' }, 8)).toBe(1); // 0.5 -> max(1, 0)
  });

  it("with a divisor: timm SEModule's make_divisible(C * rd_ratio, 8, round_limit=0)", () => {
    const timm = (c: number) => seReducedChannels({ ratio: 1 / 16, of: 'output', divisor: 8 }, c);
    // max(8, int(v + 4) // 8 * 8), never bumped up: 100/16 = 6.25 -> 8 (the minimum), 200/16 = 12.5 -> 16,
    // 72/16 = 4.5 -> 8, 1000/16 = 62.5 -> 64; 120/16 = 7.5 -> 8.
    expect([100, 200, 72, 1000, 120].map(timm)).toEqual([8, 16, 8, 64, 8]);
    // round_limit=0 keeps 8 for 9.375 (int(13.375) // 8 * 8 = 8, below 0.9 * 9.4 but not bumped).
    expect(seReducedChannels({ ratio: 1 / 16, of: 'output', divisor: 8 }, 150)).toBe(8);
  });

  it("with a divisor and roundLimit 0.9: torchvision's _make_divisible (MobileNetV3: _make_divisible(exp // 4, 8))", () => {
    const tv = (c: number) => seReducedChannels({ ratio: 1 / 4, of: 'output', divisor: 8, roundLimit: 0.9 }, c);
    // torchvision mobilenet_v3_large expanded widths -> squeeze widths: 72 -> 24, 120 -> 32, 480 -> 120, 672 -> 168, 960 -> 240.
    expect([72, 120, 480, 672, 960].map(tv)).toEqual([24, 32, 120, 168, 240]);
    // The round limit matters: 44 / 4 = 11 rounds to 8, more than 10 % down, so torchvision bumps it
    // to 16; timm's round limit 0 keeps 8.
    expect(tv(44)).toBe(16);
    expect(seReducedChannels({ ratio: 1 / 4, of: 'output', divisor: 8 }, 44)).toBe(8);
  });

  it('takes an explicit count as is', () => {
    expect(seReducedChannels({ channels: 13 }, 64)).toBe(13);
  });

  it('names the argument and the value when the width is wrong', () => {
    expect(() => seReducedChannels({ ratio: 0.25, of: 'input' }, 96)).toThrow('(got width.baseChannels=undefined)');
    expect(() => seReducedChannels({ ratio: 0, of: 'output' }, 96)).toThrow('(got width.ratio=0)');
    expect(() => seReducedChannels({ ratio: 0.25, of: 'middle' as 'input' }, 96)).toThrow('(got width.of="middle")');
    expect(() => seReducedChannels({ channels: 2.5 }, 96)).toThrow('(got width.channels=2.5)');
    expect(() => seReducedChannels({ ratio: 0.25, of: 'output', divisor: 0 }, 96)).toThrow('(got width.divisor=0)');
    expect(() => seReducedChannels({ ratio: 0.25, of: 'output' }, 0)).toThrow('(got channels=0)');
  });
});
