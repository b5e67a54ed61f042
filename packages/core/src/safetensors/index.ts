export { readSafetensors, SafetensorsFile } from './read.js';
export type { SafetensorsTensorInfo } from './read.js';
export { tensorsToSafetensors, writeSafetensors } from './write.js';
export type { SafetensorsTensorInput, TensorsToSafetensorsOptions } from './write.js';
export { isSafetensorsDtype, SAFETENSORS_DTYPES } from './dtypes.js';
export type { SafetensorsArrayOf, SafetensorsDtype, SafetensorsTensor } from './dtypes.js';
export { decodeBF16, decodeF16, encodeBF16, encodeF16 } from './half.js';
export { MAX_HEADER_BYTES } from './format.js';
