export { classifyWith, embedWith } from './classify.js';
export type { Classification, Classify, ClassifyOptions, Embed, ImageModelOptions } from './classify.js';
export type { BrowserImage, ImageDataLike, ImageInput, ImageReader } from './image-input.js';
export { modelCard, setModelCard } from './model-card.js';
export type { ModelCard } from './model-card.js';
export { centerCrop, fitToRecipe, normalizeInPlace, preprocessImage, shorterSideSize, toChannels } from './preprocess.js';
export { resizeImage } from './resample.js';
export type { FloatImage, Interpolation } from './resample.js';
