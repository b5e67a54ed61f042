import { INVERTED_RESIDUAL_NAMING, type InvertedResidualLayerNames, type InvertedResidualNaming } from '@netblocks/inverted-residual';
import type { ModelMapping } from './mapping.js';
import type { TorchWeightSource } from './source.js';

/**
 * How a family's layer names (the library it follows) become another library's, as data: either
 * block-wise through the inverted-residual naming table (`BlockNamingTranslation`), or by plain
 * rewrite rules on layer names (`RenameTranslation`). A model's key map is generated from its own
 * layer list; a layer the translation does not cover makes it throw.
 */
export type NamingTranslation = BlockNamingTranslation | RenameTranslation;

/**
 * Block-wise translation for inverted-residual families: layers inside a block are renamed through
 * the inverted-residual naming table (the block's shape is recognised from the layers it has), the
 * block prefix through `theirBlock`, and the layers outside the blocks through `outside`.
 */
export interface BlockNamingTranslation {
  /** A layer inside a block: captures the block's two indices and the layer's name inside the block. */
  ourBlock: RegExp;
  /** The other library's block prefix, from our two indices and the block's position among all blocks. */
  theirBlock(first: number, second: number, flat: number): string;
  /** Layer names inside a block on each side (`@netblocks/inverted-residual`'s naming table). */
  ourNaming: InvertedResidualNaming;
  theirNaming: InvertedResidualNaming;
  /** Layers outside the blocks, ours -> theirs; `{blocks}` in a name stands for the number of blocks. */
  outside: Readonly<Record<string, string>>;
}

/** One rewrite of a whole layer name: the other library's name from the match (`$1`, ... in a string). */
export type RenameRule = readonly [pattern: RegExp, replacement: string | ((match: RegExpExecArray) => string)];

/**
 * Translation by rewrite rules on layer names, ours -> theirs: the first rule whose pattern matches
 * gives the other library's layer name (patterns should be anchored, `^...$`); parameter names after
 * the layer stay as they are. A weighted layer no rule matches has no counterpart.
 */
export interface RenameTranslation {
  rename: readonly RenameRule[];
}

/** RepVGG branches: official DingXiaoH/RepVGG -> timm byobnet `RepVggBlock`. */
const REPVGG_TIMM_BRANCHES: Readonly<Record<string, string>> = {
  'rbr_dense.conv': 'conv_kxk.conv',
  'rbr_dense.bn': 'conv_kxk.bn',
  'rbr_1x1.conv': 'conv_1x1.conv',
  'rbr_1x1.bn': 'conv_1x1.bn',
  rbr_identity: 'identity',
  rbr_reparam: 'reparam_conv',
};
const REPVGG_BRANCH = `(${Object.keys(REPVGG_TIMM_BRANCHES).map((b) => b.replace('.', '\\.')).join('|')})`;
const repvggBranch = (ours: string | undefined): string => REPVGG_TIMM_BRANCHES[ours as string] as string;

/** Per family: `'same'` where the other library uses the same keys, or how to translate them. */
export const TRANSLATIONS: Readonly<Record<string, Partial<Record<TorchWeightSource, NamingTranslation | 'same'>>>> = {
  // Ours follow timm; torchvision's `mobilenet_v2`: `features.0` stem, `features.{1..17}.conv.*`, `features.18` head.
  mobilenetv2: {
    torchvision: {
      ourBlock: /^blocks\.(\d+)\.(\d+)\.(.+)$/,
      theirBlock: (_stage, _index, flat) => `features.${flat + 1}`,
      ourNaming: INVERTED_RESIDUAL_NAMING.timm,
      theirNaming: INVERTED_RESIDUAL_NAMING['torchvision-mobilenetv2'],
      outside: { conv_stem: 'features.0.0', bn1: 'features.0.1', conv_head: 'features.{blocks+1}.0', bn2: 'features.{blocks+1}.1', classifier: 'classifier.1' },
    },
  },
  // Ours follow torchvision; timm's `efficientnet_b*` / `tf_efficientnet_b*`: `conv_stem`, `bn1`, `blocks.{s}.{i}`, `conv_head`, `bn2`, `classifier`.
  efficientnet: {
    timm: {
      ourBlock: /^features\.(\d+)\.(\d+)\.(.+)$/,
      theirBlock: (stage, index) => `blocks.${stage - 1}.${index}`,
      ourNaming: INVERTED_RESIDUAL_NAMING['torchvision-efficientnet'],
      theirNaming: INVERTED_RESIDUAL_NAMING.timm,
      outside: { 'features.0.0': 'conv_stem', 'features.0.1': 'bn1', 'features.8.0': 'conv_head', 'features.8.1': 'bn2', 'classifier.1': 'classifier' },
    },
  },
  // timm's resnet / resnext / seresnet use torchvision's names.
  resnet: { timm: 'same' },
  // Ours follow the official DingXiaoH/RepVGG; timm's byobnet `repvgg_*`: the stem is a RepVggBlock
  // itself (`stem`), `stages.{stage-1}.{i}`, branches `conv_kxk.conv/.bn`, `conv_1x1.conv/.bn`,
  // `identity` (BatchNorm), deploy form `reparam_conv`; the classifier is `head.fc`.
  repvgg: {
    timm: {
      rename: [
        [new RegExp(`^stage0\\.${REPVGG_BRANCH}$`), (m) => `stem.${repvggBranch(m[1])}`],
        [new RegExp(`^stage([1-9]\\d*)\\.(\\d+)\\.${REPVGG_BRANCH}$`), (m) => `stages.${Number(m[1]) - 1}.${m[2] as string}.${repvggBranch(m[3])}`],
        [/^linear$/, 'head.fc'],
      ],
    },
  },
};

const WEIGHTED_FIELDS = ['expandConv', 'expandBn', 'dwConv', 'dwBn', 'se', 'projectConv', 'projectBn'] as const;

/** The block shape whose weighted layers are exactly `names`, and its field for each name. */
function recogniseBlock(naming: InvertedResidualNaming, names: ReadonlySet<string>, block: string): [string, Map<string, (typeof WEIGHTED_FIELDS)[number]>] {
  for (const [shape, layers] of Object.entries(naming.layers) as [string, InvertedResidualLayerNames][]) {
    const fields = new Map(WEIGHTED_FIELDS.filter((f) => layers[f] !== undefined).map((f) => [layers[f] as string, f]));
    if (fields.size === names.size && [...names].every((n) => fields.has(n))) return [shape, fields];
  }
  throw new Error(`block "${block}" has layers ${[...names].join(', ')}, which match no block shape of the naming table`);
}

/**
 * Our PyTorch key -> the other library's, for every weight and counter buffer of `mapping`.
 * Throws when a layer has no counterpart (the table does not cover the model).
 */
export function translationKeyMap(mapping: ModelMapping, translation: NamingTranslation): Map<string, string> {
  const renamed = 'rename' in translation ? renamedLayers(mapping, translation) : blockRenamedLayers(mapping, translation);
  const result = new Map<string, string>();
  const keys: [string, string][] = [
    ...mapping.weights.map((w): [string, string] => [w.torchKey, w.layerName]),
    ...mapping.counters.map((key): [string, string] => [key, key.slice(0, key.lastIndexOf('.'))]),
  ];
  for (const [key, layer] of keys) {
    const target = renamed.get(layer);
    if (!target) throw new Error(`no translation for "${key}" (layer "${layer}")`);
    let suffix = key.slice(layer.length + 1);
    if (target.se && !('rename' in translation)) {
      const [sub, ...rest] = suffix.split('.');
      const theirs = sub === translation.ourNaming.seReduce ? translation.theirNaming.seReduce : sub === translation.ourNaming.seExpand ? translation.theirNaming.seExpand : sub;
      suffix = [theirs, ...rest].join('.');
    }
    result.set(key, `${target.layer}.${suffix}`);
  }
  return result;
}

type RenamedLayers = Map<string, { layer: string; se?: boolean }>;

/** Our weighted layer -> theirs by the first matching rewrite rule; layers no rule matches are left out. */
function renamedLayers(mapping: ModelMapping, translation: RenameTranslation): RenamedLayers {
  const renamed: RenamedLayers = new Map();
  for (const layer of new Set(mapping.weights.map((w) => w.layerName))) {
    for (const [pattern, replacement] of translation.rename) {
      const match = pattern.exec(layer);
      if (!match) continue;
      renamed.set(layer, { layer: typeof replacement === 'string' ? layer.replace(pattern, replacement) : replacement(match) });
      break;
    }
  }
  return renamed;
}

/** Our weighted layer -> theirs through the inverted-residual naming table. */
function blockRenamedLayers(mapping: ModelMapping, translation: BlockNamingTranslation): RenamedLayers {
  // Blocks in model order, with their weighted layers.
  const blocks = new Map<string, { first: number; second: number; layers: Set<string> }>();
  const layers = [...new Set(mapping.weights.map((w) => w.layerName))];
  for (const layer of layers) {
    const m = translation.ourBlock.exec(layer);
    if (!m) continue;
    const prefix = layer.slice(0, layer.length - (m[3] as string).length - 1);
    const entry = blocks.get(prefix) ?? { first: Number(m[1]), second: Number(m[2]), layers: new Set<string>() };
    entry.layers.add(m[3] as string);
    blocks.set(prefix, entry);
  }
  const renamed: RenamedLayers = new Map();
  [...blocks].forEach(([prefix, block], flat) => {
    const [shape, fields] = recogniseBlock(translation.ourNaming, block.layers, prefix);
    const theirs = translation.theirNaming.layers[shape as keyof InvertedResidualNaming['layers']];
    if (!theirs) throw new Error(`block "${prefix}" has a shape (${shape}) the other library does not build`);
    const theirPrefix = translation.theirBlock(block.first, block.second, flat);
    for (const [inner, field] of fields) {
      renamed.set(`${prefix}.${inner}`, { layer: `${theirPrefix}.${theirs[field] as string}`, se: field === 'se' });
    }
  });
  for (const [ours, theirs] of Object.entries(translation.outside)) renamed.set(ours, { layer: theirs.replace('{blocks+1}', String(blocks.size + 1)) });
  return renamed;
}
