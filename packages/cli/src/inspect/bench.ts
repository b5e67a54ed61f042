import * as tf from '@tensorflow/tfjs';
import { optimizeForInference } from '@netblocks/models';
import { maxRelativeDifference, medianLatencyMs } from '../demo/measure.js';
import { UsageError } from '../errors.js';
import type { StepProgress } from '../progress.js';
import type { TrainBackend } from '../train/config.js';
import { checkModelName } from '../train/run.js';
import { initInferenceBackend, machineDescription } from './backend.js';
import { buildNamedModel, defaultInputSize, type BuildOptions } from './models.js';
import { formatTable } from './table.js';

/** Options of `benchModels`. */
export interface BenchOptions extends Omit<BuildOptions, 'imageSize'> {
  /** Default 'wasm'. */
  backend?: TrainBackend;
  /** Images per prediction. Default 1. */
  batch?: number;
  /** Input height and width. Default each model's resolution. */
  imageSize?: number;
  /** Timed predictions per model; the median is reported. Default 20. */
  runs?: number;
  /** Untimed predictions first (kernel compilation, allocation). Default 3. */
  warmup?: number;
  /** Also time `optimizeForInference(model)` and compare. Default false. */
  optimized?: boolean;
  onModel?: (progress: StepProgress) => void;
}

/** One model's timings. */
export interface BenchRow {
  model: string;
  inputShape: [number, number, number];
  batch: number;
  /** Median ms of one prediction of the whole batch (result read back). */
  ms: number;
  msPerImage: number;
  /** With `optimized`: the same for `optimizeForInference(model)`, the speed-up `ms / optimizedMs`,
   * and `max |optimized - plain| / max |plain|` of the outputs on the timed batch. */
  optimized?: { ms: number; msPerImage: number; speedup: number; maxRelativeDifference: number };
}

/** What `benchModels` measured, and where. */
export interface BenchReport {
  machine: string;
  backend: string;
  runs: number;
  warmup: number;
  models: BenchRow[];
}

/**
 * Inference latency of each of `models` (registered names): the median over `runs` predictions
 * after `warmup`, on a fixed random batch; with `optimized`, also of the inference-optimized model.
 */
export async function benchModels(models: string[], options: BenchOptions = {}): Promise<BenchReport> {
  if (models.length === 0) throw new UsageError('give at least one model name');
  models.forEach(checkModelName);
  const batch = options.batch ?? 1;
  const runs = options.runs ?? 20;
  const warmup = options.warmup ?? 3;
  await initInferenceBackend(options.backend ?? 'wasm');
  const began = performance.now();
  const rows: BenchRow[] = [];
  for (const name of models) {
    const size = options.imageSize ?? defaultInputSize(name);
    const channels = options.channels ?? 3;
    const model = buildNamedModel(name, { ...options, imageSize: size, channels });
    const x = tf.randomNormal([batch, size, size, channels], 0, 1, 'float32', 0);
    const optimized = options.optimized ? optimizeForInference(model) : undefined;
    try {
      const ms = await medianLatencyMs(model, x, runs, warmup);
      const row: BenchRow = { model: name, inputShape: [size, size, channels], batch, ms, msPerImage: ms / batch };
      if (optimized) {
        const optimizedMs = await medianLatencyMs(optimized, x, runs, warmup);
        row.optimized = { ms: optimizedMs, msPerImage: optimizedMs / batch, speedup: ms / optimizedMs, maxRelativeDifference: maxRelativeDifference(optimized, model, x) };
      }
      rows.push(row);
      const item = `${name} ${row.msPerImage.toFixed(2)} ms/image${row.optimized ? ` (optimized ${row.optimized.msPerImage.toFixed(2)})` : ''}`;
      options.onModel?.({ label: 'bench', done: rows.length, total: models.length, item, seconds: (performance.now() - began) / 1000 });
    } finally {
      x.dispose();
      optimized?.dispose();
      model.dispose();
    }
  }
  return { machine: machineDescription(), backend: tf.getBackend(), runs, warmup, models: rows };
}

/** The report as a text table: ms per batch and per image, and the optimized model's where measured. */
export function formatBenchReport(report: BenchReport): string {
  const withOptimized = report.models.some((r) => r.optimized);
  const header = ['model', 'input', 'batch', 'ms', 'ms/image', ...(withOptimized ? ['optimized ms/image', 'speed-up', 'max rel diff'] : [])];
  const rows = report.models.map((r) => [
    r.model,
    r.inputShape.join('x'),
    String(r.batch),
    r.ms.toFixed(2),
    r.msPerImage.toFixed(2),
    ...(r.optimized ? [r.optimized.msPerImage.toFixed(2), `${r.optimized.speedup.toFixed(2)}x`, r.optimized.maxRelativeDifference.toExponential(1)] : withOptimized ? ['', '', ''] : []),
  ]);
  return [`${report.machine}; median of ${report.runs} runs after ${report.warmup} warm-up runs`, '', ...formatTable(header, rows)].join('\n');
}
