import { buildModel, type NetblocksModel } from './build.js';
import { FAMILIES } from './families/index.js';
import type { FamilyDefinition, ModelInfo, ModelOptions } from './types.js';

interface RegistryEntry {
  info: ModelInfo;
  build(options: ModelOptions): NetblocksModel;
}

function entriesOf<C>(family: FamilyDefinition<C>): RegistryEntry[] {
  return Object.entries(family.variants).map(([name, variant]) => ({
    info: {
      name,
      family: family.family,
      paper: family.paper,
      weights: family.weights,
      preprocessing: { ...family.preprocessing, ...variant.preprocessing },
      inputSize: variant.inputSize,
      minInputSize: family.minInputSize(variant.config),
      ...(family.topInputSize === undefined ? {} : { topInputSize: family.topInputSize }),
      reference: variant.reference,
    },
    build: (options: ModelOptions) => buildModel(name, family, variant, options),
  }));
}

/** Every registered model, built once from the family tables (no import-time registration). */
const REGISTRY: ReadonlyMap<string, RegistryEntry> = new Map(FAMILIES.flatMap((f) => entriesOf(f)).map((e) => [e.info.name, e]));

/** Edit distance, for suggesting the closest names to a misspelt one. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** The registered names closest to `name`, compared without separators (`mobilenet_v2` is near `mobilenetv2_100`). */
export function closestModelNames(name: string, count = 3): string[] {
  const bare = (s: string) => s.toLowerCase().replace(/[_\-.]/g, '');
  const score = (candidate: string) => distance(bare(name), bare(candidate)) * 100 + distance(name, candidate);
  return [...REGISTRY.keys()].sort((a, b) => score(a) - score(b) || a.localeCompare(b)).slice(0, count);
}

function entry(name: string): RegistryEntry {
  const found = REGISTRY.get(name);
  if (!found) throw new Error(`unknown model ${JSON.stringify(name)}; did you mean ${closestModelNames(name).join(', ')}?`);
  return found;
}

/** Builds the named model (a `tf.LayersModel`); see `ModelOptions`. */
export function createModel(name: string, options: ModelOptions = {}): NetblocksModel {
  return entry(name).build(options);
}

/** A whole-string pattern with `*` wildcards as a RegExp (every other character literal). */
export function wildcardPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Registered model names, sorted; `pattern` filters with `*` wildcards (e.g. `'resnext*'`). */
export function listModels(pattern?: string): string[] {
  const names = [...REGISTRY.keys()].sort();
  if (pattern === undefined) return names;
  const re = wildcardPattern(pattern);
  return names.filter((n) => re.test(n));
}

/** Family, paper, default input size, reference parameter count and MACs, weight naming source. */
export function getModelInfo(name: string): ModelInfo {
  return entry(name).info;
}
