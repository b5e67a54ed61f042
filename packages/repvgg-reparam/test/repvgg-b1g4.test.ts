import { profile, type ModelProfile } from '@netblocks/core';
import { useBackend } from '@netblocks/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { reparameterize } from '../src/reparameterize.js';
import { REPVGG_B1G4, repvggNet } from './repvgg-net.js';

useBackend('cpu');

// REPVGG_B1G4 from the official code / timm (REFERENCE.md): 40,034,152 total, 39,966,056
// trainable, 8.119 G MACs at 224; deployed 36,125,416 params.
describe('RepVGG-B1g4 built from repvggBlock (groups 4 on blocks 2, 4, ..., 26)', () => {
  let train: ModelProfile;
  let deploy: ModelProfile;
  const groupsOf: Record<string, string> = {};

  beforeAll(() => {
    const model = repvggNet(REPVGG_B1G4, 224);
    train = profile(model);
    for (const name of ['stage1.0', 'stage1.1', 'stage1.2', 'stage2.0', 'stage3.15', 'stage4.0']) {
      const conv = model.getLayer(`${name}.rbr_1x1.conv`);
      groupsOf[name] = `${conv.getClassName()}:${String(conv.getConfig()['groups'] ?? 1)}`;
    }
    const fused = reparameterize(model);
    deploy = profile(fused);
    [model, fused].forEach((m) => m.dispose());
  });

  it('groups the 3x3 and 1x1 convs of the even global block indices', () => {
    // stage0 is block 0, stage1.0 block 1, stage1.1 block 2, ..., stage3.15 block 26, stage4.0 block 27.
    expect(groupsOf).toEqual({
      'stage1.0': 'Conv2D:1',
      'stage1.1': 'NetblocksGroupConv2D:4',
      'stage1.2': 'Conv2D:1',
      'stage2.0': 'Conv2D:1',
      'stage3.15': 'NetblocksGroupConv2D:4',
      'stage4.0': 'Conv2D:1',
    });
  });

  it('has the reference parameter counts and MACs in training form', () => {
    expect(train.totalParams).toBe(40_034_152);
    expect(train.trainableParams).toBe(39_966_056);
    expect(Math.abs(train.macs / 8.119e9 - 1)).toBeLessThan(0.01);
    expect(train.unknownLayers).toEqual([]);
  });

  it('reparameterizes into 36,125,416 params', () => {
    expect(deploy.totalParams).toBe(36_125_416);
    expect(deploy.trainableParams).toBe(36_125_416);
  });
});
