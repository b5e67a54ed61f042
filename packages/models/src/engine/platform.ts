import type { OnnxRuntime, OrtSessionOptions } from './onnxruntime.js';

/** Where onnxruntime comes from on one platform: Node's native package, or the browser's wasm / WebGPU one. */
export interface OnnxPlatform {
  /** The engine's name on this platform. */
  readonly name: 'onnxruntime-node' | 'onnxruntime-web';
  /** The runtime, or null when its package is not installed. */
  load(): Promise<OnnxRuntime | null>;
  /** The session options for `threads` (undefined: onnxruntime's default). */
  sessionOptions(ort: OnnxRuntime, threads: number | undefined): OrtSessionOptions;
}
