export { registerWasmTrainKernels, wasmTrainKernels } from './kernels.js';
export { conv2DBackpropFilterWasm } from './conv2d-backprop-filter.js';
export { depthwiseBackpropFilterWasm } from './depthwise-backprop-filter.js';
export { depthwiseBackpropInputWasm } from './depthwise-backprop-input.js';
