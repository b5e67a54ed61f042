import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { depthwiseBackpropFilterWasm } from './depthwise-backprop-filter.js';
import { depthwiseBackpropInputWasm } from './depthwise-backprop-input.js';

/**
 * The gradient kernels that training a conv net needs and TF.js 4.22's wasm backend lacks
 * (tfjs issue 8474), each built from kernels the wasm backend has.
 */
export const wasmTrainKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: depthwiseBackpropFilterWasm },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: depthwiseBackpropInputWasm },
];

/**
 * Registers every kernel of `wasmTrainKernels` that the wasm backend does not have yet and returns
 * the names it registered. A kernel already there (the backend's own, in a later TF.js, or one
 * registered before) is left alone, so calling this twice registers nothing the second time.
 */
export function registerWasmTrainKernels(): string[] {
  const registered: string[] = [];
  for (const config of wasmTrainKernels) {
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}
