import { getModelInfo, listModels } from '../registry.js';

/** Where a checkpoint comes from: the library whose module names its keys follow. */
export type TorchWeightSource = 'timm' | 'torchvision' | 'megvii' | 'official';

const SOURCES: readonly TorchWeightSource[] = ['timm', 'torchvision', 'megvii', 'official'];

/**
 * Checks `from` against the naming the model's family follows (`getModelInfo(name).weights`). Each
 * family follows one naming for now, so another source is an error. Models built outside the
 * registry (another name) are not checked.
 */
export function checkWeightSource(caller: string, modelName: string, from: TorchWeightSource | undefined): void {
  if (from === undefined) return;
  if (!SOURCES.includes(from)) throw new Error(`${caller}: \`from\` must be one of ${SOURCES.join(', ')} (got from=${JSON.stringify(from)})`);
  if (!listModels().includes(modelName)) return;
  const expected = getModelInfo(modelName).weights;
  if (from !== expected) {
    throw new Error(`${caller}: '${modelName}' follows ${expected}'s names; checkpoints from ${from} are not supported yet (got from='${from}', expected from='${expected}')`);
  }
}
