import type { LayerProfile } from '@netblocks/core';
import { describe, expect, it } from 'vitest';
import { groupLayers, stageAndBlock } from '../src/architecture-groups.js';

const layer = (name: string, params: number, macs: number, className = 'Conv2D'): LayerProfile => ({
  name, className, outputShape: [null, 1], params, trainableParams: params, macs,
});

describe('grouping a model profile into stages and blocks by layer names', () => {
  it('reads the stage and block from timm and torchvision names', () => {
    expect(stageAndBlock('blocks.4.2.conv_dw')).toEqual({ stage: 'blocks.4', block: 'blocks.4.2' });
    expect(stageAndBlock('layer2.1.conv1')).toEqual({ stage: 'layer2', block: 'layer2.1' });
    expect(stageAndBlock('stage2.0.branch2.3')).toEqual({ stage: 'stage2', block: 'stage2.0' });
    expect(stageAndBlock('features.3')).toEqual({ stage: 'features', block: 'features.3' });
    expect(stageAndBlock('conv_stem')).toEqual({ stage: null, block: 'conv_stem' });
  });

  it('sums params and MACs per block, keeps model order, names stem and head, drops empty blocks', () => {
    const stages = groupLayers([
      layer('input', 0, 0, 'InputLayer'),
      layer('conv1', 10, 100),
      layer('bn1', 4, 0, 'BatchNormalization'),
      layer('maxpool', 0, 0, 'MaxPooling2D'),
      layer('layer1.0.conv1', 20, 200),
      layer('layer1.0.conv2', 30, 300),
      layer('layer1.1.conv1', 5, 50),
      layer('layer2.0.conv1', 7, 70),
      layer('avgpool', 0, 0, 'GlobalAveragePooling2D'),
      layer('fc', 8, 8, 'Dense'),
    ]);
    expect(stages).toEqual([
      { name: 'stem', blocks: [{ name: 'conv1', layers: 1, params: 10, macs: 100 }, { name: 'bn1', layers: 1, params: 4, macs: 0 }] },
      { name: 'layer1', blocks: [{ name: 'layer1.0', layers: 2, params: 50, macs: 500 }, { name: 'layer1.1', layers: 1, params: 5, macs: 50 }] },
      { name: 'layer2', blocks: [{ name: 'layer2.0', layers: 1, params: 7, macs: 70 }] },
      { name: 'head', blocks: [{ name: 'fc', layers: 1, params: 8, macs: 8 }] },
    ]);
  });

  it('puts a model without indexed stages in one row', () => {
    const stages = groupLayers([layer('conv1', 1, 1), layer('block1.sepconv1', 2, 2), layer('block1.bn1', 1, 0), layer('fc', 3, 3)]);
    expect(stages.map((s) => [s.name, s.blocks.map((b) => b.name)])).toEqual([['layers', ['conv1', 'block1', 'fc']]]);
  });
});
