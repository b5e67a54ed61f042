import * as tf from '@tensorflow/tfjs';
// Registers the wasm backend (the webgl and cpu ones come with @tensorflow/tfjs).
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initBackend, type BackendName } from '@netblocks/core';

const ORDER: BackendName[] = ['webgl', 'wasm'];

/**
 * Picks webgl, else wasm (whose binaries vite.config.ts copies into `tfjs-wasm/`), or the one named
 * by `?backend=` in the page's URL; returns its name.
 */
export async function setupBackend(): Promise<string> {
  setWasmPaths(new URL('tfjs-wasm/', document.baseURI).href);
  const requested = new URLSearchParams(location.search).get('backend');
  const order = requested === null ? ORDER : [requested as BackendName];
  const choice = await initBackend(order, { log: (message) => console.info(message) });
  return tf.getBackend() ?? choice.name;
}
