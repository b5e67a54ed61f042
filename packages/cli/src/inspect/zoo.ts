import * as tf from '@tensorflow/tfjs';
import { formatCount, profile } from '@netblocks/core';
import { getModelInfo } from '@netblocks/models';
import { medianLatencyMs } from '../demo/measure.js';
import type { StepProgress } from '../progress.js';
import type { TrainBackend } from '../train/config.js';
import { initInferenceBackend, machineDescription } from './backend.js';
import { buildNamedModel, defaultInputSize, matchModels } from './models.js';

/** Options of `zooReport`. */
export interface ZooOptions {
  /** Which models (see `matchModels`). Default all. */
  pattern?: string;
  /** Timed predictions per model, after one warm-up; the median is reported. Default 5. */
  runs?: number;
  /** Default 'wasm'. */
  backend?: TrainBackend;
  /** Called after each model. */
  onModel?: (progress: StepProgress) => void;
}

/** One model of the zoo, built and measured at its default resolution. */
export interface ZooRow {
  name: string;
  family: string;
  inputSize: number;
  /** `countParams()` of the built model. */
  params: number;
  trainableParams: number;
  /** Multiply-adds per image, counted by `profile` on the built model. */
  macs: number;
  /** Median ms of one batch-1 prediction (result read back). */
  latencyMs: number;
}

/** What `zooReport` measured, and where. */
export interface ZooReport {
  machine: string;
  backend: string;
  runs: number;
  models: ZooRow[];
}

/**
 * The zoo report: builds each registered model matching `pattern` at its default resolution (one
 * at a time, disposed after), profiles it and times batch-1 inference (a warm-up, then the median
 * of `runs`). Long for the whole zoo (VGG-16 takes a second per prediction on wasm).
 */
export async function zooReport(options: ZooOptions = {}): Promise<ZooReport> {
  const runs = options.runs ?? 5;
  const names = matchModels(options.pattern);
  await initInferenceBackend(options.backend ?? 'wasm');
  const began = performance.now();
  const models: ZooRow[] = [];
  for (const name of names) {
    const info = getModelInfo(name);
    const inputSize = defaultInputSize(name);
    const model = buildNamedModel(name, { imageSize: inputSize });
    const x = tf.randomNormal([1, inputSize, inputSize, 3], 0, 1, 'float32', 0);
    try {
      const p = profile(model);
      const latencyMs = await medianLatencyMs(model, x, runs, 1);
      models.push({ name, family: info.family, inputSize, params: p.totalParams, trainableParams: p.trainableParams, macs: p.macs, latencyMs });
      options.onModel?.({ label: 'zoo', done: models.length, total: names.length, item: `${name} ${latencyMs.toFixed(1)} ms`, seconds: (performance.now() - began) / 1000 });
    } finally {
      x.dispose();
      model.dispose();
    }
  }
  return { machine: machineDescription(), backend: tf.getBackend(), runs, models };
}

/**
 * The report as a Markdown table sorted by MACs, with the last column MACs per millisecond: how
 * well the runtime executes each architecture (top-1 is not measured: no weights are loaded).
 */
export function formatZooMarkdown(report: ZooReport): string {
  const rows = [...report.models].sort((a, b) => a.macs - b.macs);
  const table = [
    `| model | input | params | MACs | ${report.backend} ms (batch 1) | GMAC/s |`,
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.inputSize} | ${formatCount(r.params)} | ${formatCount(r.macs)} | ${r.latencyMs.toFixed(1)} | ${(r.macs / 1e6 / r.latencyMs).toFixed(2)} |`),
  ];
  return `# netblocks model zoo\n\n${report.machine}; median of ${report.runs} runs after a warm-up, batch 1, default resolution.\n\n${table.join('\n')}\n`;
}
