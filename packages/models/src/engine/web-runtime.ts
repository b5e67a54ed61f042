// onnxruntime-web for the browser entry: WebGPU where the browser has it (falling back to wasm
// for what WebGPU cannot run), wasm otherwise. It also runs in Node (wasm).
import { importOptional } from './onnxruntime.js';
import type { OnnxPlatform } from './platform.js';

/** In a variable, so that bundlers leave the optional import alone (a page passes `onnxruntime` instead). */
const WEB_PACKAGE = 'onnxruntime-web';

function hasWebGpu(): boolean {
  return (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu != null;
}

export const WEB_ONNX_RUNTIME: OnnxPlatform = {
  name: 'onnxruntime-web',
  load: () => importOptional(WEB_PACKAGE, () => import(/* webpackIgnore: true */ /* @vite-ignore */ WEB_PACKAGE)),
  sessionOptions(ort, threads) {
    // The wasm runtime's thread count is global and read when it first starts (onnxruntime-web's `env`).
    if (threads !== undefined && ort.env.wasm) ort.env.wasm.numThreads = threads;
    return { executionProviders: hasWebGpu() ? ['webgpu', 'wasm'] : ['wasm'] };
  },
};
