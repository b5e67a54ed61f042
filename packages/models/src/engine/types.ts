// The inference engine API: one model, run by onnxruntime (its `exportOnnx` graph, in memory) or by
// TF.js, with TF.js tensors in and out either way, so that pre- and post-processing are one code path.
import type * as tf from '@tensorflow/tfjs';
import type { OnnxRuntime } from './onnxruntime.js';

/** What to run the model with: `'onnxruntime'` (its ONNX export), `'tfjs'`, or `'auto'` (onnxruntime when it can be imported, TF.js otherwise). */
export type EngineChoice = 'auto' | 'onnxruntime' | 'tfjs';

/** What an engine runs on: onnxruntime-node (Node's native runtime), onnxruntime-web (wasm, WebGPU) or TF.js on its active backend. */
export type EngineName = 'onnxruntime-node' | 'onnxruntime-web' | 'tfjs';

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'onnxruntime', 'tfjs'];

/** Options of `createInferenceEngine`. */
export interface InferenceEngineOptions {
  /** `'auto'` (default), `'onnxruntime'` (an error if it cannot be imported) or `'tfjs'`. */
  engine?: EngineChoice;
  /**
   * onnxruntime's intra-op threads (onnxruntime-node's `intraOpNumThreads`; in onnxruntime-web it
   * sets `ort.env.wasm.numThreads`, which that runtime reads once, before its first session).
   * Default onnxruntime's own (all cores in Node). TF.js ignores it.
   */
  threads?: number;
  /**
   * TF.js only: run `optimizeForInference(model)` once when the engine is built (BatchNorm folded,
   * activations fused; the same function, faster). Default `true`. onnxruntime gets the model's own
   * export and fuses it itself.
   */
  optimize?: boolean;
  /**
   * The onnxruntime module to use instead of importing it (`await import('onnxruntime-web')`): in a
   * bundled page, where bundlers do not follow the library's optional import. Default: imported.
   */
  onnxruntime?: OnnxRuntime;
}

/** A model ready to run: `predict` takes and returns TF.js tensors whatever the engine. */
export interface InferenceEngine {
  /** What runs the model. */
  readonly engine: EngineName;
  /** The model's input shape, batch dimension `null` (e.g. `[null, 224, 224, 3]`, NHWC). */
  readonly inputShape: readonly (number | null)[];
  /**
   * The model's output for the float32 NHWC batch `x` (not disposed), as a new tensor on TF.js's
   * active backend (`[batch, classes]` for a classifier; the caller disposes it).
   */
  predict(x: tf.Tensor4D): Promise<tf.Tensor>;
  /** Frees the onnxruntime session or the optimized model; later `predict` calls reject. */
  dispose(): Promise<void>;
}

/** `engine` checked: the error names the argument and the value. */
export function checkEngineChoice(fn: string, value: unknown): EngineChoice {
  if (!(ENGINE_CHOICES as readonly unknown[]).includes(value)) {
    throw new Error(`${fn}: \`engine\` must be one of ${ENGINE_CHOICES.map((c) => `'${c}'`).join(', ')} (got engine=${JSON.stringify(value)})`);
  }
  return value as EngineChoice;
}

/** Resolves the options' defaults; every error names the field and the value. */
export function resolveEngineOptions(fn: string, options: InferenceEngineOptions): Required<Omit<InferenceEngineOptions, 'threads' | 'onnxruntime'>> & Pick<InferenceEngineOptions, 'threads' | 'onnxruntime'> {
  const engine = checkEngineChoice(fn, options.engine ?? 'auto');
  const { threads, onnxruntime } = options;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new Error(`${fn}: \`threads\` must be a positive integer (got threads=${JSON.stringify(threads)})`);
  }
  const optimize = options.optimize ?? true;
  if (typeof optimize !== 'boolean') throw new Error(`${fn}: \`optimize\` must be a boolean (got optimize=${JSON.stringify(optimize)})`);
  if (onnxruntime !== undefined && typeof (onnxruntime as Partial<OnnxRuntime> | null)?.InferenceSession?.create !== 'function') {
    throw new Error(`${fn}: \`onnxruntime\` must be the onnxruntime-node or onnxruntime-web module (got ${String(onnxruntime)})`);
  }
  return { engine, optimize, threads, onnxruntime };
}
