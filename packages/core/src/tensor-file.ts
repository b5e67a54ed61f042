// One way in for every weights file a user brings: the format is told by the bytes, not the name.

import type { SafetensorsDtype, SafetensorsTensor } from './safetensors/dtypes.js';
import { SafetensorsFile } from './safetensors/read.js';
import { isLegacyTorchFile, readTorchCheckpoint, type ReadTorchCheckpointOptions } from './torch/checkpoint.js';
import { isZip } from './torch/zip.js';

/** The containers `readTensorFile` reads. */
export type TensorFileFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

/** A file of named tensors, whatever its container (`SafetensorsFile`, `TorchCheckpoint`). */
export interface TensorFile {
  readonly format: TensorFileFormat;
  /** The tensor names, in the file's order. */
  names(): string[];
  has(name: string): boolean;
  /** The dtype (safetensors' names: F32, F16, BF16, I64, ...) and shape of tensor `name`. */
  info(name: string): { dtype: SafetensorsDtype; shape: number[] };
  /** Tensor `name` as stored, row-major, in a fresh array. */
  get(name: string): SafetensorsTensor;
  /** Tensor `name` as float32. */
  getFloat32(name: string): Float32Array;
}

/** The container `bytes` is in, by its first bytes; undefined when it is none of them. */
export function detectTensorFileFormat(bytes: Uint8Array): TensorFileFormat | undefined {
  if (isZip(bytes)) return 'torch-zip';
  if (isLegacyTorchFile(bytes)) return 'torch-legacy';
  // safetensors: a little-endian u64 header length, then a JSON object.
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[6] === 0 && bytes[7] === 0) return 'safetensors';
  return undefined;
}

/**
 * Reads a weights file held in memory: safetensors, a torch.save zip archive (`.pth`, `.pt`,
 * `pytorch_model.bin`) or a legacy torch.save file, told apart by content. Throws an Error saying
 * which formats were looked for when the bytes are none of them.
 */
export function readTensorFile(bytes: Uint8Array | ArrayBuffer, options: ReadTorchCheckpointOptions = {}): TensorFile {
  const view = bytes instanceof Uint8Array ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  const format = detectTensorFileFormat(view);
  if (format === 'safetensors') return new SafetensorsFile(view);
  if (format !== undefined) return readTorchCheckpoint(view, options);
  if (view.length < 9) throw new Error(`not a weights file: it is ${view.length} bytes, too short for safetensors or torch.save`);
  const head = Array.from(view.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(
    `not a weights file: neither safetensors (a u64 header length, then '{'), a torch.save zip archive (PK\\x03\\x04) ` +
      `nor a legacy torch.save file (first bytes: ${head})`,
  );
}
