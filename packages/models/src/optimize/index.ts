export { optimizeForInference } from './optimize.js';
