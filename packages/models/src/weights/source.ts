import { getModelInfo, listModels } from '../registry.js';
import type { ModelMapping } from './mapping.js';
import { TRANSLATIONS, translationKeyMap } from './translate.js';

/** Where a checkpoint comes from: the library whose module names its keys follow. */
export type TorchWeightSource = 'timm' | 'torchvision' | 'megvii' | 'official';

const SOURCES: readonly TorchWeightSource[] = ['timm', 'torchvision', 'megvii', 'official'];

/** The prefix `nn.DataParallel` / `DistributedDataParallel` puts on every key of a wrapped model's state dict. */
export const DATA_PARALLEL_PREFIX = 'module.';

/** The naming a registered model follows and the other libraries its family can be translated from. */
function namingOf(modelName: string): { family: string; follows: TorchWeightSource } | undefined {
  if (!listModels().includes(modelName)) return undefined;
  const info = getModelInfo(modelName);
  return { family: info.family, follows: info.weights };
}

/** The sources a registered model accepts: its family's own and those `TRANSLATIONS` covers. */
export function acceptedSources(modelName: string): TorchWeightSource[] | undefined {
  const naming = namingOf(modelName);
  if (!naming) return undefined;
  const others = Object.keys(TRANSLATIONS[naming.family] ?? {}) as TorchWeightSource[];
  return [naming.follows, ...others.filter((s) => s !== naming.follows)];
}

/**
 * Checks `from`: one of the known libraries and, for a registered model, its family's own naming or
 * one its family can be translated from (`TRANSLATIONS`). Models built outside the registry (another
 * name) are not checked.
 */
export function checkWeightSource(caller: string, modelName: string, from: TorchWeightSource | undefined): void {
  if (from === undefined) return;
  if (!SOURCES.includes(from)) throw new Error(`${caller}: \`from\` must be one of ${SOURCES.join(', ')} (got from=${JSON.stringify(from)})`);
  const accepted = acceptedSources(modelName);
  if (accepted && !accepted.includes(from)) {
    throw new Error(
      `${caller}: '${modelName}' follows ${accepted[0] as string}'s names; checkpoints from ${from} are not supported yet ` +
        `(got from='${from}', expected from=${accepted.map((s) => `'${s}'`).join(' or ')})`,
    );
  }
}

/** How the checkpoint's keys were read: which model key each file key fills. */
export interface KeyResolution {
  /** Our PyTorch key -> the file's key that holds it. */
  fileKey: Map<string, string>;
  /** File keys that fill nothing (in the file's own spelling). */
  unexpected: string[];
  /** The library whose names the keys were read in, when the model is registered. */
  from?: TorchWeightSource;
  /** The prefix removed from every key (`module.`), if any. */
  strippedPrefix?: string;
}

/**
 * Matches the checkpoint's keys to the model's: strips `module.` when every key has it, then reads
 * them in `from`'s names, translated to the family's (`TRANSLATIONS`); without `from`, in whichever
 * accepted naming fills the most of the model's weights (the family's own on a tie).
 */
export function resolveKeys(modelName: string, names: readonly string[], mapping: ModelMapping, from: TorchWeightSource | undefined): KeyResolution {
  const strip = names.length > 0 && names.every((n) => n.startsWith(DATA_PARALLEL_PREFIX));
  const original = new Map(names.map((n) => [strip ? n.slice(DATA_PARALLEL_PREFIX.length) : n, n]));
  const ours = [...mapping.weights.map((w) => w.torchKey), ...mapping.counters];
  const naming = namingOf(modelName);

  // Each candidate naming: our key -> the key in that naming (identity for the family's own).
  const candidates: { source?: TorchWeightSource; map?: Map<string, string> }[] = [];
  if (!naming) candidates.push({});
  else {
    for (const source of acceptedSources(modelName) ?? []) {
      if (from !== undefined && source !== from) continue;
      const translation = TRANSLATIONS[naming.family]?.[source];
      if (translation === undefined || translation === 'same' || source === naming.follows) candidates.push({ source });
      else if (from !== undefined) candidates.push({ source, map: translationKeyMap(mapping, translation) });
      else {
        try {
          candidates.push({ source, map: translationKeyMap(mapping, translation) });
        } catch {
          // A model the table does not cover cannot be in that naming.
        }
      }
    }
  }
  const hits = (c: (typeof candidates)[number]) => ours.filter((k) => original.has(c.map?.get(k) ?? k)).length;
  const best = candidates.reduce((a, b) => (hits(b) > hits(a) ? b : a));

  const counters = new Set(mapping.counters);
  const fileKey = new Map<string, string>();
  const consumed = new Set<string>();
  for (const key of ours) {
    const theirs = best.map?.get(key) ?? key;
    consumed.add(theirs);
    const name = original.get(theirs);
    if (name !== undefined && !counters.has(key)) fileKey.set(key, name);
  }
  const unexpected = [...original].filter(([canonical]) => !consumed.has(canonical)).map(([, name]) => name);
  return {
    fileKey,
    unexpected,
    ...(best.source === undefined ? {} : { from: best.source }),
    ...(strip ? { strippedPrefix: DATA_PARALLEL_PREFIX } : {}),
  };
}

/** Our PyTorch key -> the key in `to`'s names, or undefined when `to` is the family's own naming (or the same keys). */
export function keyMapTo(modelName: string, mapping: ModelMapping, to: TorchWeightSource): Map<string, string> | undefined {
  const naming = namingOf(modelName);
  const translation = naming && to !== naming.follows ? TRANSLATIONS[naming.family]?.[to] : undefined;
  return translation === undefined || translation === 'same' ? undefined : translationKeyMap(mapping, translation);
}
