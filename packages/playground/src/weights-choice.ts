// Which weights the classify and fine-tune panels load: a published checkpoint of the zoo
// (`listPretrained`), a Hub repository of yours, or a weights file by URL (the last two for any
// registered architecture), chosen in the classify panel's form; and loading them at the input
// size their preprocessing crops to.
import {
  createPretrainedModelWith,
  fetchCheckpointInBrowser,
  getModelInfo,
  getPretrained,
  listModels,
  listPretrained,
  type BrowserFetchOptions,
  type CheckpointFetcher,
  type CheckpointFiles,
  type CheckpointLocation,
  type FetchProgress,
  type PretrainedModel,
} from '@netblocks/models';
import { elementById, fillSelect } from './draw/canvas.js';

/** The weights the form describes. */
export type WeightsChoice =
  | { kind: 'published'; model: string; tag: string }
  | { kind: 'custom'; model: string; weights: CheckpointLocation; endpoint: string };

/** Shown first: a small checkpoint. */
const DEFAULT_MODEL = 'mobilenetv2_100';

const field = (id: string) => elementById<HTMLInputElement>(id);
const select = (id: string) => elementById<HTMLSelectElement>(id);

/** Fills the form's lists and shows the fields of the chosen source (its `[data-source]` labels). */
export function setupWeightsChoice(): void {
  const source = select('weights-source');
  const model = select('weights-model');
  const tag = select('weights-tag');
  const published = [...new Set(listPretrained().map((c) => c.model))];
  const fillTags = () => {
    const checkpoints = listPretrained(model.value);
    fillSelect(tag, checkpoints.map((c) => c.tag), checkpoints.find((c) => c.isDefault)?.tag ?? '');
  };
  const fillModels = () => {
    const names = source.value === 'published' ? published : listModels();
    fillSelect(model, names, names.includes(model.value) ? model.value : DEFAULT_MODEL);
    for (const label of document.querySelectorAll<HTMLElement>('[data-source]')) label.hidden = label.dataset.source !== source.value;
    if (source.value === 'published') fillTags();
  };
  source.addEventListener('change', fillModels);
  model.addEventListener('change', () => source.value === 'published' && fillTags());
  fillModels();
}

/** What the form says now; throws naming the empty field. */
export function readWeightsChoice(): WeightsChoice {
  const kind = select('weights-source').value;
  const model = select('weights-model').value;
  if (kind === 'published') return { kind, model, tag: select('weights-tag').value };
  const endpoint = field('weights-endpoint').value.trim() || 'https://huggingface.co';
  if (kind === 'hub') {
    const repo = field('weights-repo').value.trim();
    if (repo === '') throw new Error('give the Hub repository (owner/name) of the weights');
    return { kind: 'custom', model, weights: { kind: 'hub', repo }, endpoint };
  }
  const url = field('weights-url').value.trim();
  if (url === '') throw new Error('give the URL of the weights file (.safetensors or .pth)');
  return { kind: 'custom', model, weights: { kind: 'url', url }, endpoint };
}

/** Options of `loadWeights`. */
export interface LoadWeightsOptions {
  /** Another number of classes than the checkpoint's gives a new classifier. Default the checkpoint's. */
  numClasses?: number;
  onProgress?: (progress: FetchProgress) => void;
}

/**
 * The model with the chosen weights, built for the input size its preprocessing crops to. A
 * published checkpoint says its size; a Hub repository's config.json says it only once fetched, so
 * the model is built at the architecture's size and, if the config asks for another, built again
 * from the same bytes (fetched once).
 */
export async function loadWeights(choice: WeightsChoice, options: LoadWeightsOptions = {}): Promise<PretrainedModel> {
  const common = { ...(options.numClasses === undefined ? {} : { numClasses: options.numClasses }), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  let files: Promise<CheckpointFiles> | undefined;
  const once: CheckpointFetcher<BrowserFetchOptions> = (checkpoint, fetchOptions) => (files ??= fetchCheckpointInBrowser(checkpoint, fetchOptions));
  if (choice.kind === 'published') {
    const checkpoint = getPretrained(choice.model, choice.tag);
    const size = checkpoint.preprocessing.crop.size;
    return createPretrainedModelWith(once, checkpoint.name, { ...common, inputShape: [size, size, 3] });
  }
  const build = (size: number) =>
    createPretrainedModelWith(once, choice.model, { ...common, weights: choice.weights, endpoint: choice.endpoint, inputShape: [size, size, 3] });
  const guess = getModelInfo(choice.model).inputSize;
  const model = await build(guess);
  const size = model.pretrainedCfg.preprocessing.crop.size;
  if (size === guess) return model;
  model.dispose();
  return build(size);
}

/** "name: 0.4 of 0.9 MB" for a progress report. */
export function describeProgress(p: FetchProgress): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return `${p.file}: ${mb(p.received)}${p.total === undefined ? '' : ` of ${mb(p.total)}`} MB`;
}
