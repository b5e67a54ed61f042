export { fineTuneWith } from './fine-tune.js';
export type { FineTuneEpoch, FineTuneExample, FineTuneOptions, FineTuneProgress } from './fine-tune.js';
export { seededPermutation, seededRandom } from './random.js';
export { applyFineTuneGradients, classifierLayer, classifierVariables, fineTuneStep } from './step.js';
export type { FineTuneStepOptions } from './step.js';
