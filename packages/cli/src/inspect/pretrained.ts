import { listPretrained, noCheckpointReason, type PretrainedCheckpoint } from '@netblocks/models';
import { matchModels } from './models.js';

/** One row of `netblocks list --pretrained`: a published checkpoint, from the registry (nothing downloaded). */
export interface PretrainedListing {
  /** `model.tag`. */
  name: string;
  model: string;
  tag: string;
  isDefault: boolean;
  /** `hub:timm/<arch>.<tag>` or the file's URL. */
  source: string;
  numClasses: number;
  /** Input size of its preprocessing (the centre crop). */
  inputSize: number;
  /** Published ImageNet-1k top-1 (%), null where the source publishes none. */
  top1: number | null;
  license: string | null;
}

/** A model of the pattern with no published checkpoint, and why. */
export interface ModelWithoutWeights {
  model: string;
  reason: string;
}

function row(c: PretrainedCheckpoint): PretrainedListing {
  return {
    name: c.name,
    model: c.model,
    tag: c.tag,
    isDefault: c.isDefault,
    source: c.location.kind === 'hub' ? `hub:${c.location.repo}` : c.location.url,
    numClasses: c.numClasses,
    inputSize: c.preprocessing.crop.size,
    top1: c.top1?.accuracy ?? null,
    license: c.license ?? null,
  };
}

/** The checkpoints of the models matching `pattern` (as `netblocks list` matches names), and the models with none. */
export function listPretrainedCheckpoints(pattern?: string): { checkpoints: PretrainedListing[]; without: ModelWithoutWeights[] } {
  const models = matchModels(pattern);
  return {
    checkpoints: models.flatMap((m) => listPretrained(m).map(row)),
    without: models.filter((m) => listPretrained(m).length === 0).map((model) => ({ model, reason: noCheckpointReason(model) as string })),
  };
}
