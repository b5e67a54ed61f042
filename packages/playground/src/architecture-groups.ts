import type { LayerProfile } from '@netblocks/core';

/** A block of a model: the layers whose names share its prefix, with their totals. */
export interface BlockSummary {
  name: string;
  layers: number;
  params: number;
  macs: number;
}

/** A stage: a row of blocks. */
export interface StageSummary {
  name: string;
  blocks: BlockSummary[];
}

const isIndex = (s: string | undefined) => s !== undefined && /^\d+$/.test(s);

/**
 * Stage and block of a layer, from the position its name encodes (netblocks names layers as
 * timm and torchvision do): `blocks.4.2.conv_dw` is block `blocks.4.2` of stage `blocks.4`;
 * `layer2.1.conv1` (or `stage2.0...`) block `layer2.1` of stage `layer2`; `features.3...` or
 * `blocks.3...` with one index, block `features.3` of stage `features`; anything else (`conv_stem`,
 * `bn1`, `fc`) is its own block, in a stage `null` that the caller names stem or head.
 */
export function stageAndBlock(layerName: string): { stage: string | null; block: string } {
  const [first = layerName, second, third] = layerName.split('.');
  if (isIndex(second) && isIndex(third)) return { stage: `${first}.${second}`, block: `${first}.${second}.${third}` };
  if (isIndex(second)) return { stage: first, block: `${first}.${second}` };
  return { stage: null, block: first };
}

/**
 * Groups a model's layer profiles into stages of blocks, in model order. Layers outside any
 * indexed stage gather in `stem` (before the first stage), `head` (after the last) or `between`;
 * in a model without indexed stages (Xception's `block1` .. `block12`), all in one `layers` row.
 * Blocks with neither parameters nor MACs (padding, pooling, activations alone) are left out.
 */
export function groupLayers(layers: readonly LayerProfile[]): StageSummary[] {
  const stages: StageSummary[] = [];
  const stageOf = new Map<string, StageSummary>();
  const blockOf = new Map<string, BlockSummary>();
  let seenIndexed = false;
  const rows = layers.filter((l) => l.className !== 'InputLayer').map((l) => ({ layer: l, ...stageAndBlock(l.name) }));
  const lastIndexed = rows.map((r) => r.stage !== null).lastIndexOf(true);
  rows.forEach(({ layer, stage, block }, i) => {
    if (stage !== null) seenIndexed = true;
    const stageName = stage ?? (lastIndexed < 0 ? 'layers' : !seenIndexed ? 'stem' : i > lastIndexed ? 'head' : 'between');
    let s = stageOf.get(stageName);
    if (s === undefined || stages[stages.length - 1] !== s) {
      s = { name: stageName, blocks: [] };
      stages.push(s);
      stageOf.set(stageName, s);
    }
    const key = `${stages.length}/${block}`;
    let b = blockOf.get(key);
    if (b === undefined) {
      b = { name: block, layers: 0, params: 0, macs: 0 };
      blockOf.set(key, b);
      s.blocks.push(b);
    }
    b.layers += 1;
    b.params += layer.params;
    b.macs += layer.macs;
  });
  return stages
    .map((s) => ({ ...s, blocks: s.blocks.filter((b) => b.params > 0 || b.macs > 0) }))
    .filter((s) => s.blocks.length > 0);
}
