import * as tf from '@tensorflow/tfjs';
import { optimizeForInference } from '@netblocks/models';
import { createInferenceEngine, type EngineChoice, type EngineName, type InferenceEngine } from '@netblocks/models/node';
import { medianPredictMs } from '../demo/measure.js';
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
  /**
   * What runs the models: `'tfjs'` (default, on `backend`), `'onnxruntime'` (each model's ONNX
   * export in onnxruntime-node; an error if it is not installed) or `'auto'` (onnxruntime-node
   * when installed). Timed through `createInferenceEngine`, from a TF.js tensor in to one out.
   */
  engine?: EngineChoice;
  /** onnxruntime's intra-op threads. Default 1 (TF.js wasm runs on one core). */
  threads?: number;
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
  /** What ran the models (`'tfjs'` on `backend`, or onnxruntime). */
  engine: EngineName;
  /** onnxruntime's intra-op threads; absent for TF.js. */
  threads?: number;
  runs: number;
  warmup: number;
  models: BenchRow[];
}

/** `max |a - b| / max |b|` of two engines' outputs on `x`: the measure every netblocks parity check uses. */
async function maxEngineDifference(a: InferenceEngine, b: InferenceEngine, x: tf.Tensor4D): Promise<number> {
  const [ya, yb] = await Promise.all([a.predict(x), b.predict(x)]);
  const [diff, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(ya, yb))), tf.max(tf.abs(yb))]);
  const result = ((await diff.data())[0] as number) / ((await scale.data())[0] as number);
  tf.dispose([ya, yb, diff, scale]);
  return result;
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
  const choice = options.engine ?? 'tfjs';
  const threads = options.threads ?? 1;
  await initInferenceBackend(options.backend ?? 'wasm');
  const began = performance.now();
  const rows: BenchRow[] = [];
  let engineName: EngineName = 'tfjs';
  for (const name of models) {
    const size = options.imageSize ?? defaultInputSize(name);
    const channels = options.channels ?? 3;
    const model = buildNamedModel(name, { ...options, imageSize: size, channels });
    const x = tf.randomNormal([batch, size, size, channels], 0, 1, 'float32', 0) as tf.Tensor4D;
    const optimized = options.optimized ? optimizeForInference(model) : undefined;
    // Each model as it is (TF.js's model.predict, or its own export in onnxruntime), and the optimized one the same way.
    const engines: InferenceEngine[] = [];
    const engineOf = async (m: tf.LayersModel) => {
      const engine = await createInferenceEngine(m, { engine: choice, threads, optimize: false });
      engines.push(engine);
      return engine;
    };
    try {
      const plainEngine = await engineOf(model);
      engineName = plainEngine.engine;
      const ms = await medianPredictMs(() => plainEngine.predict(x), runs, warmup);
      const row: BenchRow = { model: name, inputShape: [size, size, channels], batch, ms, msPerImage: ms / batch };
      if (optimized) {
        const optimizedEngine = await engineOf(optimized);
        const optimizedMs = await medianPredictMs(() => optimizedEngine.predict(x), runs, warmup);
        row.optimized = {
          ms: optimizedMs,
          msPerImage: optimizedMs / batch,
          speedup: ms / optimizedMs,
          maxRelativeDifference: await maxEngineDifference(optimizedEngine, plainEngine, x),
        };
      }
      rows.push(row);
      const item = `${name} ${row.msPerImage.toFixed(2)} ms/image${row.optimized ? ` (optimized ${row.optimized.msPerImage.toFixed(2)})` : ''}`;
      options.onModel?.({ label: 'bench', done: rows.length, total: models.length, item, seconds: (performance.now() - began) / 1000 });
    } finally {
      await Promise.all(engines.map((engine) => engine.dispose()));
      x.dispose();
      optimized?.dispose();
      model.dispose();
    }
  }
  return { machine: machineDescription(), backend: tf.getBackend(), engine: engineName, ...(engineName === 'tfjs' ? {} : { threads }), runs, warmup, models: rows };
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
  const engine = report.engine === 'tfjs' ? '' : `; ${report.engine}, ${report.threads} thread${report.threads === 1 ? '' : 's'}`;
  return [`${report.machine}${engine}; median of ${report.runs} runs after ${report.warmup} warm-up runs`, '', ...formatTable(header, rows)].join('\n');
}
