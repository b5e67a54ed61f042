// The part of onnxruntime's JS API (shared by onnxruntime-node and onnxruntime-web, from
// onnxruntime-common) that the engine uses, typed here so that neither package is needed to build
// against this library, and a session on plain float32 data that the engine and the pool's
// workers share.

/** An onnxruntime tensor (CPU data). */
export interface OrtTensor {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** Session options the engine sets. */
export interface OrtSessionOptions {
  executionProviders?: string[];
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** The onnxruntime-node or onnxruntime-web module (`import * as ort from 'onnxruntime-node'`). */
export interface OnnxRuntime {
  InferenceSession: { create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string; web?: string }; wasm?: { numThreads?: number } };
}

/** A float32 array and its shape, batch first. */
export interface Float32Batch {
  data: Float32Array;
  shape: number[];
}

/** One ONNX model's session with one input and one output, on plain data. */
export interface OnnxRunner {
  run(data: Float32Array, shape: readonly number[]): Promise<Float32Batch>;
  release(): Promise<void>;
}

/** A session of the serialized model `bytes` (from `exportOnnx`, in memory) with one input and one output. */
export async function createOnnxRunner(ort: OnnxRuntime, bytes: Uint8Array, options: OrtSessionOptions): Promise<OnnxRunner> {
  const session = await ort.InferenceSession.create(bytes, options);
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  if (input === undefined || output === undefined || session.inputNames.length !== 1 || session.outputNames.length !== 1) {
    await session.release();
    throw new Error(`the engine runs models with one input and one output (got inputs ${JSON.stringify(session.inputNames)}, outputs ${JSON.stringify(session.outputNames)})`);
  }
  let released = false;
  return {
    async run(data, shape) {
      if (released) throw new Error('the onnxruntime session was released (dispose() was called)');
      // exportOnnx's graph takes and gives TF.js's own layouts (NHWC in, [batch, classes] or NHWC
      // out; it transposes to NCHW inside), so the data goes in and comes out as it is.
      const result = (await session.run({ [input]: new ort.Tensor('float32', data, shape) }))[output] as OrtTensor;
      if (result.type !== 'float32' || !(result.data instanceof Float32Array)) {
        throw new Error(`the ONNX model's output "${output}" is ${result.type}, not float32 data on the CPU`);
      }
      return { data: result.data, shape: [...result.dims] };
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

/** Whether `error` says that `packageName` is not installed (Node's resolvers, or a browser's). */
function isMissingPackage(error: unknown, packageName: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof message !== 'string' || !message.includes(packageName)) return false;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /resolve module specifier|failed to fetch dynamically imported module/i.test(message);
}

/**
 * The module `load()` imports, or null when `packageName` is not installed. A package that is
 * there but fails to load (a broken native binary) is an error, not a silent fallback.
 */
export async function importOptional(packageName: string, load: () => Promise<unknown>): Promise<OnnxRuntime | null> {
  let module: unknown;
  try {
    module = await load();
  } catch (error) {
    if (isMissingPackage(error, packageName)) return null;
    throw new Error(`${packageName} is installed but could not be loaded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  // An ES namespace, or a CommonJS module seen through `default`.
  const candidates = [module, (module as { default?: unknown } | null)?.default];
  const ort = candidates.find((m) => typeof (m as Partial<OnnxRuntime> | null)?.InferenceSession?.create === 'function');
  if (ort === undefined) throw new Error(`${packageName} was imported but has no InferenceSession.create: is it onnxruntime's package?`);
  return ort as OnnxRuntime;
}
