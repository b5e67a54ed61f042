import type { LayerConverter } from './context.js';
import { CONV_CONVERTERS } from './conv.js';
import { DENSE_CONVERTERS } from './dense.js';
import { ELEMENTWISE_CONVERTERS } from './elementwise.js';
import { MIXER_CONVERTERS } from './mixer.js';
import { NORM_CONVERTERS } from './norm.js';
import { POOLING_CONVERTERS } from './pooling.js';
import { SE_CONVERTERS } from './se.js';
import { SHUFFLE_CONVERTERS } from './shuffle.js';

/** Every layer class the exporter converts, by TF.js class name. */
export const CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  ...CONV_CONVERTERS,
  ...DENSE_CONVERTERS,
  ...ELEMENTWISE_CONVERTERS,
  ...MIXER_CONVERTERS,
  ...NORM_CONVERTERS,
  ...POOLING_CONVERTERS,
  ...SE_CONVERTERS,
  ...SHUFFLE_CONVERTERS,
};
