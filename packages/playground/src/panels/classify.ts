import type { PretrainedModel } from '@netblocks/models';
import { classify } from '@netblocks/models';
import { elementById } from '../draw/canvas.js';
import { fileBytes, onImageFiles } from '../file-drop.js';
import { holdModel } from '../test-hook.js';
import { runAction, setStatus, toolElement } from '../tool.js';
import { showTopClasses } from '../top-classes.js';
import { describeProgress, loadWeights, readWeightsChoice, setupWeightsChoice } from '../weights-choice.js';

const TOOL = 'classify';
let model: PretrainedModel | null = null;

/** Loads the chosen weights (progress in the bar and status line), replacing the model held. */
async function load(section: HTMLElement): Promise<void> {
  const progress = elementById<HTMLProgressElement>('classify-progress');
  const choice = readWeightsChoice();
  model?.dispose();
  model = null;
  holdModel(TOOL, null);
  elementById('classify-top').replaceChildren();
  setStatus(section, 'fetching…');
  progress.value = 0;
  const loaded = await loadWeights(choice, {
    onProgress: (p) => {
      progress.max = p.total ?? Math.max(p.received, 1);
      progress.value = p.received;
      setStatus(section, describeProgress(p));
    },
  });
  progress.value = progress.max;
  model = loaded;
  holdModel(TOOL, loaded);
  const cfg = loaded.pretrainedCfg;
  const size = cfg.preprocessing.crop.size;
  setStatus(section, `${cfg.name}: ${cfg.numClasses} classes${cfg.labels ? '' : ' (no names)'}, ${size}x${size} input; drop an image`);
}

/** Classifies the image file: its preview and the top 5 classes. */
async function classifyFile(section: HTMLElement, file: File): Promise<void> {
  if (model === null) throw new Error('load a model first');
  const preview = elementById<HTMLImageElement>('classify-image');
  URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  const top = await classify(model, await fileBytes(file), { topk: 5 });
  showTopClasses(elementById('classify-top'), top);
  const best = top[0];
  setStatus(section, `${file.name}: ${best?.label ?? `class ${best?.index}`} (${(100 * (best?.probability ?? 0)).toFixed(1)}%)`);
}

/** The form and its listeners; nothing is fetched until "load" is pressed. */
export function setupClassify(): void {
  const section = toolElement(TOOL);
  setupWeightsChoice();
  const button = elementById<HTMLButtonElement>('classify-load');
  button.addEventListener('click', () => {
    button.disabled = true;
    void runAction(section, 'model', () => load(section)).finally(() => (button.disabled = false));
  });
  onImageFiles(elementById('classify-drop'), elementById<HTMLInputElement>('classify-file'), (files) => {
    void runAction(section, 'classified', () => classifyFile(section, files[0] as File));
  });
}
