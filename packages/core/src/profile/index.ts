export { convMacs, denseMacs, reportsMacs } from './macs.js';
export type { ConvMacsArgs, MacsReporter } from './macs.js';
export { profile } from './profile.js';
export type { LayerProfile, ModelProfile } from './profile.js';
export { formatCount, summary } from './summary.js';
export type { SummaryOptions } from './summary.js';
