import * as tf from '@tensorflow/tfjs';

import { DTYPES, HOST_IS_LITTLE_ENDIAN, storageArray } from './dtypes.js';
import type { SafetensorsDtype, SafetensorsTensor } from './dtypes.js';
import { fail, parseHeader } from './format.js';
import type { TensorEntry } from './format.js';
import { tensorToFloat32 } from './convert.js';

/** What the header says about one tensor. */
export interface SafetensorsTensorInfo {
  /** Its element type. */
  dtype: SafetensorsDtype;
  /** Its shape; `[]` for a scalar. */
  shape: number[];
  /** Bytes it occupies in the file. */
  byteLength: number;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * A parsed safetensors file. Parsing validates the whole header up front; tensor data stays in
 * the caller's buffer (not copied) until one of the getters asks for it. The getters return fresh
 * arrays the caller owns; `rawBytes` is the one zero-copy view.
 */
export class SafetensorsFile {
  /** Which container the tensors came from (as every `TensorFile` says). */
  readonly format = 'safetensors' as const;
  /** The file's `__metadata__` strings; `{}` when it has none. */
  readonly metadata: Record<string, string>;
  private readonly bytes: Uint8Array;
  private readonly dataStart: number;
  private readonly entries: ReadonlyMap<string, TensorEntry>;

  /** Parses `bytes` (a whole file); same as `readSafetensors(bytes)`. */
  constructor(bytes: Uint8Array | ArrayBuffer) {
    // A plain Uint8Array view even of a Node Buffer, whose slice() would return a view, not a copy.
    this.bytes = bytes instanceof Uint8Array ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
    const header = parseHeader(this.bytes);
    this.metadata = header.metadata;
    this.dataStart = header.dataStart;
    this.entries = new Map(header.entries.map((entry) => [entry.name, entry]));
  }

  /** The tensor names, in the order of their data in the file (for files written by the reference
   * implementation or `writeSafetensors`: widest dtype first, then by name). */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether the file has a tensor called `name`. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The dtype, shape and byte length of tensor `name`. */
  info(name: string): SafetensorsTensorInfo {
    const entry = this.entry(name);
    return { dtype: entry.dtype, shape: [...entry.shape], byteLength: entry.end - entry.begin };
  }

  /** The stored little-endian bytes of tensor `name`: a view into the caller's buffer, not a copy. */
  rawBytes(name: string): Uint8Array {
    const entry = this.entry(name);
    return this.bytes.subarray(this.dataStart + entry.begin, this.dataStart + entry.end);
  }

  /** Tensor `name` as stored: its values in a fresh array of the dtype's storage type (F16 and
   * BF16 as raw 16-bit patterns, I64 and U64 as bigints). */
  get(name: string): SafetensorsTensor {
    const entry = this.entry(name);
    if (!HOST_IS_LITTLE_ENDIAN) fail('big-endian hosts are not supported');
    // slice() copies into a fresh buffer at offset 0, so the typed array is aligned even when
    // the tensor's bytes are not.
    const copy = this.rawBytes(name).slice();
    return { dtype: entry.dtype, shape: [...entry.shape], data: storageArray(entry.dtype, copy.buffer) } as SafetensorsTensor;
  }

  /**
   * Tensor `name` as float32 values. F16 and BF16 are widened exactly; F64 and 32-bit integers
   * round as a float32 cast does; I64/U64 must lie within ±2^53 (exact as JavaScript numbers),
   * else this throws.
   */
  getFloat32(name: string): Float32Array {
    try {
      return tensorToFloat32(this.get(name), name);
    } catch (error) {
      fail((error as Error).message);
    }
  }

  /**
   * Tensor `name` as a new `tf.Tensor` (the caller disposes it): float32 for float dtypes, bool for
   * BOOL, int32 for integer dtypes whose every value fits in int32 (else this throws).
   */
  toTensor(name: string): tf.Tensor {
    const entry = this.entry(name);
    const shape = [...entry.shape];
    if (DTYPES[entry.dtype].isFloat) return tf.tensor(this.getFloat32(name), shape, 'float32');
    const tensor = this.get(name);
    if (tensor.dtype === 'BOOL') return tf.tensor(tensor.data, shape, 'bool');
    if (tensor.dtype === 'I32') return tf.tensor(tensor.data, shape, 'int32');
    const values = new Int32Array(tensor.data.length);
    tensor.data.forEach((value: number | bigint, index: number) => {
      const number = Number(value);
      if (number < INT32_MIN || number > INT32_MAX) {
        fail(`tensor "${name}" (${tensor.dtype}): value ${value} at index ${index} is outside the int32 range of tf.Tensor`);
      }
      values[index] = number;
    });
    return tf.tensor(values, shape, 'int32');
  }

  private entry(name: string): TensorEntry {
    const entry = this.entries.get(name);
    if (entry === undefined) {
      const names = this.names();
      const listed = names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '');
      fail(`no tensor named "${name}" (the file has ${names.length} tensors: ${listed})`);
    }
    return entry;
  }
}

/** Parses a whole safetensors file held in memory, validating its header (see `SafetensorsFile`).
 * Throws an Error starting with `safetensors:` that says what is wrong on malformed input. */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
  return new SafetensorsFile(bytes);
}
