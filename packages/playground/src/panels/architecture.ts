import * as tf from '@tensorflow/tfjs';
import { formatCount, profile, type ModelProfile } from '@netblocks/core';
import { createModel, getModelInfo, listModels } from '@netblocks/models';
import { groupLayers, type StageSummary } from '../architecture-groups.js';
import { canvasById, clearCanvas, elementById, fillSelect } from '../draw/canvas.js';
import { sequentialColor } from '../draw/colors.js';
import { renderPanel } from '../panel.js';

/** The model shown first: small, quick to build on any backend. */
export const DEFAULT_MODEL = 'mobilenetv2_035';
const RESOLUTIONS = [64, 96, 128, 160, 224];
const WARMUP_RUNS = 2;
const TIMED_RUNS = 5;

/** Input sides a model accepts from the list: VGG's classifier only its one size. */
function resolutionsFor(name: string): number[] {
  const info = getModelInfo(name);
  if (info.topInputSize !== undefined) return [info.topInputSize];
  const sizes = RESOLUTIONS.filter((r) => r >= info.minInputSize);
  return sizes.includes(info.inputSize) ? sizes : [...sizes, info.inputSize];
}

const BOX_W = 112;
const BOX_H = 50;
const GAP = 6;
const LABEL_W = 80;

function drawStages(stages: StageSummary[], totalMacs: number): void {
  const canvas = canvasById('architecture-canvas');
  const perLine = Math.floor((canvas.width - LABEL_W) / (BOX_W + GAP));
  const lines = stages.reduce((n, s) => n + Math.ceil(s.blocks.length / perLine), 0);
  canvas.height = lines * (BOX_H + GAP) + 8;
  const ctx = clearCanvas(canvas);
  const maxMacs = Math.max(...stages.flatMap((s) => s.blocks.map((b) => b.macs)), 1);
  let y = 4;
  for (const stage of stages) {
    ctx.fillStyle = '#222';
    ctx.font = 'bold 12px system-ui, sans-serif';
    ctx.fillText(stage.name, 4, y + 18);
    stage.blocks.forEach((block, i) => {
      if (i > 0 && i % perLine === 0) y += BOX_H + GAP;
      const x = LABEL_W + (i % perLine) * (BOX_W + GAP);
      ctx.fillStyle = sequentialColor(0.1 + (0.75 * block.macs) / maxMacs);
      ctx.fillRect(x, y, BOX_W, BOX_H);
      ctx.strokeStyle = '#666';
      ctx.strokeRect(x + 0.5, y + 0.5, BOX_W - 1, BOX_H - 1);
      ctx.fillStyle = block.macs / maxMacs > 0.6 ? '#fff' : '#111';
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText(block.name.length > 16 ? `…${block.name.slice(-15)}` : block.name, x + 4, y + 14);
      ctx.fillText(`${formatCount(block.params, 1)} params`, x + 4, y + 29);
      ctx.fillText(`${formatCount(block.macs, 1)} MACs ${totalMacs > 0 ? `${((100 * block.macs) / totalMacs).toFixed(0)}%` : ''}`, x + 4, y + 43);
    });
    y += BOX_H + GAP;
  }
}

/** Median of `TIMED_RUNS` predictions after `WARMUP_RUNS`, each waited for (its data read back). */
async function medianLatencyMs(model: tf.LayersModel, size: number): Promise<number> {
  const x = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 0);
  const times: number[] = [];
  for (let i = 0; i < WARMUP_RUNS + TIMED_RUNS; i++) {
    const start = performance.now();
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
    if (i >= WARMUP_RUNS) times.push(performance.now() - start);
  }
  x.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

let current: tf.LayersModel | null = null;

async function buildAndRun(name: string, size: number): Promise<void> {
  current?.dispose();
  current = null;
  const latency = elementById('latency');
  latency.textContent = `building ${name}…`;
  latency.dataset.latencyMs = '';
  // Let the page paint the message before the (synchronous) build.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const model = createModel(name, { inputShape: [size, size, 3] });
  current = model;
  const p: ModelProfile = profile(model);
  const stages = groupLayers(p.layers);
  drawStages(stages, p.macs);
  const info = getModelInfo(name);
  elementById('model-summary').textContent =
    `${name} (${info.paper.title}): ${formatCount(p.totalParams)} parameters, ${formatCount(p.macs)} MACs at ${size}x${size}` +
    ` in ${stages.length} stages, ${stages.reduce((n, s) => n + s.blocks.length, 0)} blocks, ${p.layers.length} layers`;
  const ms = await medianLatencyMs(model, size);
  latency.textContent = `latency: ${ms.toFixed(1)} ms per image (${tf.getBackend()}, 1x${size}x${size}x3, median of ${TIMED_RUNS})`;
  latency.dataset.latencyMs = String(ms);
}

export async function setupArchitecture(): Promise<void> {
  const modelSelect = elementById<HTMLSelectElement>('model-select');
  const sizeSelect = elementById<HTMLSelectElement>('resolution-select');
  const query = new URLSearchParams(location.search);
  const initial = query.get('model') ?? DEFAULT_MODEL;
  fillSelect(modelSelect, listModels(), initial);
  const fillSizes = (preferred: number) => {
    const sizes = resolutionsFor(modelSelect.value);
    fillSelect(sizeSelect, sizes, sizes.includes(preferred) ? preferred : (sizes[0] as number));
  };
  fillSizes(Number(query.get('size') ?? 96));
  modelSelect.addEventListener('change', () => fillSizes(Number(sizeSelect.value)));
  const run = () => renderPanel('architecture', () => buildAndRun(modelSelect.value, Number(sizeSelect.value)));
  elementById('model-run').addEventListener('click', () => void run());
  await run();
}
