import { fileURLToPath } from 'node:url';

/**
 * Loads the wasm backend and the gradient kernels it lacks (Conv2DBackpropFilter and the depthwise
 * backprops, from @netblocks/wasm-train), so that tests can train on wasm. wasm-train depends on
 * core, so core's tests (and this package, which they use) must not import it: nx reads every
 * literal import into the project graph, and core <-> wasm-train would be a cycle. The workspace's
 * copy is loaded at run time by path instead (this package is used from source, never built).
 */
export async function loadWasmTrainKernels(): Promise<string[]> {
  await import('@tensorflow/tfjs-backend-wasm');
  const kernels = fileURLToPath(new URL('../../wasm-train/src/kernels.ts', import.meta.url));
  const { registerWasmTrainKernels } = (await import(/* @vite-ignore */ kernels)) as { registerWasmTrainKernels: () => string[] };
  return registerWasmTrainKernels();
}
