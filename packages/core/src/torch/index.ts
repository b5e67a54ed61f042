export { readTorchCheckpoint, STATE_DICT_KEYS, TorchCheckpoint } from './checkpoint.js';
export type { ReadTorchCheckpointOptions, TorchCheckpointFormat } from './checkpoint.js';
export { ALLOWED_GLOBALS } from './globals.js';
export { crc32 } from './crc32.js';
