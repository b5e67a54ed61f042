import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { registerWasmTrainKernels, wasmTrainKernels } from '../src/index.js';
import '../src/register.js';

const NAMES = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

describe('registerWasmTrainKernels', () => {
  it('covers exactly the gradient kernels TF.js 4.22\'s wasm backend lacks (checked in a fresh process)', () => {
    const script = `import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
console.log(JSON.stringify(${JSON.stringify(NAMES)}.map((n) => tf.getKernel(n, 'wasm') !== undefined)));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: import.meta.dirname, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1) as string)).toEqual([false, false, false]);
    expect(wasmTrainKernels.map((k) => k.kernelName)).toEqual(NAMES);
    expect(wasmTrainKernels.every((k) => k.backendName === 'wasm')).toBe(true);
  });

  it('registers nothing twice: after the register entry, a second call registers no kernel', () => {
    expect(registerWasmTrainKernels()).toEqual([]);
    for (const config of wasmTrainKernels) expect(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc).toBe(config.kernelFunc);
  });

  it('never replaces a kernel the backend already has, and fills in one that is missing', () => {
    const [ours, other] = wasmTrainKernels as [tf.KernelConfig, tf.KernelConfig];
    const existing: tf.KernelConfig = { kernelName: ours.kernelName, backendName: 'wasm', kernelFunc: () => { throw new Error('not called'); } };
    tf.unregisterKernel(ours.kernelName, 'wasm');
    tf.unregisterKernel(other.kernelName, 'wasm');
    tf.registerKernel(existing);
    try {
      expect(registerWasmTrainKernels()).toEqual([other.kernelName]);
      expect(tf.getKernel(ours.kernelName, 'wasm')?.kernelFunc).toBe(existing.kernelFunc);
      expect(tf.getKernel(other.kernelName, 'wasm')?.kernelFunc).toBe(other.kernelFunc);
    } finally {
      tf.unregisterKernel(ours.kernelName, 'wasm');
      tf.registerKernel(ours);
    }
  });
});
