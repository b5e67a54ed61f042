import { classify, fineTune, setModelCard, type FineTuneEpoch, type FineTuneExample, type FineTuneProgress, type PretrainedModel } from '@netblocks/models';
import { canvasById, clearCanvas, elementById } from '../draw/canvas.js';
import { drawLossCurve } from '../draw/loss-curve.js';
import { offerDownload, safetensorsFile, tfjsFiles } from '../downloads.js';
import { fileBytes, onImageFiles } from '../file-drop.js';
import { addClassCard, readClasses, type ClassImages } from '../fine-tune-classes.js';
import { holdModel } from '../test-hook.js';
import { runAction, setStatus, toolElement } from '../tool.js';
import { showTopClasses } from '../top-classes.js';
import { describeProgress, loadWeights, readWeightsChoice } from '../weights-choice.js';

const TOOL = 'fine-tune';
let model: PretrainedModel | null = null;
let controller: AbortController | null = null;

/** A number field's value; throws naming the field when it is not a number in `[min, max]` (an integer if `integer`). */
function numberField(id: string, min: number, max: number, integer: boolean): number {
  const input = elementById<HTMLInputElement>(id);
  const value = Number(input.value);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${input.name || id} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(input.value)})`);
  }
  return value;
}

/** The loss readout: this step's loss and the first step's (also as data-first-loss / data-last-loss / data-steps) and the curve. */
function showLoss(p: FineTuneProgress, losses: readonly number[]): void {
  const readout = elementById('fine-tune-loss');
  readout.dataset.firstLoss = String(losses[0]);
  readout.dataset.lastLoss = String(p.loss);
  readout.dataset.steps = String(losses.length);
  readout.textContent =
    `epoch ${p.epoch}/${p.epochs}${p.frozen ? ' (classifier only)' : ''}, step ${p.step}/${p.steps}: loss ${p.loss.toFixed(4)}` +
    ` (first step ${(losses[0] as number).toFixed(4)}), epoch accuracy ${(100 * p.epochAccuracy).toFixed(0)}%`;
  const canvas = canvasById('fine-tune-loss-canvas');
  drawLossCurve(clearCanvas(canvas), losses, { x: 8, y: 4, width: canvas.width - 16, height: canvas.height - 8 });
}

/** The mean cross-entropy and the accuracy of the model on its training images in inference mode (from `classify`'s probabilities). */
async function fitOf(model: PretrainedModel, examples: readonly FineTuneExample[], classes: number): Promise<{ loss: number; accuracy: number }> {
  const results = await classify(model, examples.map((e) => e.image), { topk: classes });
  let loss = 0;
  let correct = 0;
  results.forEach((top, i) => {
    const label = examples[i]?.label;
    loss -= Math.log(Math.max(top.find((c) => c.index === label)?.probability ?? 0, 1e-12));
    if (top[0]?.index === label) correct++;
  });
  return { loss: loss / results.length, accuracy: correct / results.length };
}

async function examplesOf(classes: readonly ClassImages[]): Promise<FineTuneExample[]> {
  const perClass = await Promise.all(classes.map((c, label) => Promise.all(c.files.map(async (file) => ({ image: await fileBytes(file), label })))));
  return perClass.flat();
}

/** Builds the model with a new classifier for the classes, fine-tunes it, names its classes and offers its files. */
async function train(section: HTMLElement): Promise<void> {
  const classes = readClasses(elementById('fine-tune-classes'));
  const epochs = numberField('fine-tune-epochs', 1, 200, true);
  const batchSize = numberField('fine-tune-batch', 1, 256, true);
  const learningRate = numberField('fine-tune-lr', 1e-6, 1, false);
  const freezeEpochs = numberField('fine-tune-freeze', 0, epochs, true);
  const choice = readWeightsChoice();
  model?.dispose();
  model = null;
  holdModel(TOOL, null);
  elementById('fine-tune-top').replaceChildren();
  elementById('fine-tune-fit').textContent = '';
  const readout = elementById('fine-tune-loss');
  readout.textContent = '';
  readout.dataset.firstLoss = readout.dataset.lastLoss = '';
  readout.dataset.steps = '0';
  clearCanvas(canvasById('fine-tune-loss-canvas'));
  for (const link of section.querySelectorAll<HTMLAnchorElement>('.downloads a')) link.hidden = true;
  setStatus(section, 'fetching the backbone…');
  const created = await loadWeights(choice, { numClasses: classes.length, onProgress: (p) => setStatus(section, describeProgress(p)) });
  model = created;
  setStatus(section, `${created.pretrainedCfg.name} with a new ${classes.length}-class classifier: training…`);
  const losses: number[] = [];
  controller = new AbortController();
  const examples = await examplesOf(classes);
  let history: FineTuneEpoch[];
  try {
    history = await fineTune(created, examples, {
      epochs,
      freezeEpochs,
      batchSize,
      learningRate,
      signal: controller.signal,
      onStep: (p) => {
        losses.push(p.loss);
        showLoss(p, losses);
      },
    });
  } finally {
    controller = null;
  }
  const labels = classes.map((c) => c.name);
  setModelCard(created, { labels, preprocessing: created.pretrainedCfg.preprocessing });
  holdModel(TOOL, created);
  const fit = await fitOf(created, examples, classes.length);
  const fitLine = elementById('fine-tune-fit');
  fitLine.dataset.loss = String(fit.loss);
  fitLine.dataset.accuracy = String(fit.accuracy);
  fitLine.textContent = `on your ${examples.length} images after training (inference mode, no flips): loss ${fit.loss.toFixed(4)}, accuracy ${(100 * fit.accuracy).toFixed(0)}%`;
  const stem = `${choice.model}-fine-tuned`;
  const files = await tfjsFiles(created, stem);
  offerDownload(elementById<HTMLAnchorElement>('fine-tune-download-json'), files.json, `${stem}.json`);
  offerDownload(elementById<HTMLAnchorElement>('fine-tune-download-weights'), files.weights, files.weightsName);
  offerDownload(elementById<HTMLAnchorElement>('fine-tune-download-safetensors'), safetensorsFile(created), `${stem}.safetensors`);
  const last = history.at(-1);
  setStatus(section, `trained ${history.length} epochs${last ? `: last epoch's loss ${last.loss.toFixed(4)}, accuracy ${(100 * last.accuracy).toFixed(0)}%` : ''}; drop an image to classify it`);
}

async function classifyFile(section: HTMLElement, file: File): Promise<void> {
  if (model === null || section.dataset.trained !== 'true') throw new Error('train the model first');
  const top = await classify(model, await fileBytes(file), { topk: 5 });
  showTopClasses(elementById('fine-tune-top'), top);
  setStatus(section, `${file.name}: ${top[0]?.label} (${(100 * (top[0]?.probability ?? 0)).toFixed(1)}%)`);
}

/** Two empty classes and the listeners; nothing is fetched or trained until "train" is pressed. */
export function setupFineTune(): void {
  const section = toolElement(TOOL);
  const container = elementById('fine-tune-classes');
  addClassCard(container, 'class 1');
  addClassCard(container, 'class 2');
  elementById('fine-tune-add-class').addEventListener('click', () => addClassCard(container, `class ${container.children.length + 1}`));
  const button = elementById<HTMLButtonElement>('fine-tune-train');
  button.addEventListener('click', () => {
    button.disabled = true;
    void runAction(section, 'trained', () => train(section)).finally(() => (button.disabled = false));
  });
  elementById('fine-tune-stop').addEventListener('click', () => controller?.abort());
  onImageFiles(elementById('fine-tune-drop'), elementById<HTMLInputElement>('fine-tune-file'), (files) => {
    void runAction(section, 'classified', () => classifyFile(section, files[0] as File));
  });
}
