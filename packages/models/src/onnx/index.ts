export { exportOnnx } from './export.js';
export type { ExportOnnxOptions } from './export.js';
