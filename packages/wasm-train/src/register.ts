// The package's only module with a side effect: importing it loads the wasm backend and registers
// the gradient kernels it lacks (only those it lacks). package.json lists it under `sideEffects`.
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainKernels } from './kernels.js';

registerWasmTrainKernels();
