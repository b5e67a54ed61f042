import type { TrainOptions } from '../../src/index.js';

/** A run of two steps per epoch: ShuffleNetV2-x0.5 on 20 MNIST digits (2 per class) padded to 32x32. */
export const TINY_RUN = {
  model: 'shufflenet_v2_x0_5',
  data: 'mnist',
  imageSize: 32,
  fit: 'pad',
  trainPerClass: 2,
  testPerClass: 1,
  batchSize: 10,
  learningRate: 3e-3,
  backend: 'wasm',
} as const satisfies Partial<TrainOptions>;
