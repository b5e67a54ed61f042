import type * as tf from '@tensorflow/tfjs';

import { DTYPES, HOST_IS_LITTLE_ENDIAN, isSafetensorsDtype, SAFETENSORS_DTYPES } from './dtypes.js';
import type { SafetensorsDtype, SafetensorsTensor } from './dtypes.js';
import { checkShape, compareCodePoints, describe, fail, LENGTH_PREFIX_BYTES, METADATA_KEY } from './format.js';
import { encodeBF16, encodeF16 } from './half.js';

/** A tensor to write: as stored (see `SafetensorsTensor`), or F16/BF16 given as float32 values,
 * which are rounded to nearest, ties to even. */
export type SafetensorsTensorInput =
  | SafetensorsTensor
  | { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Float32Array };

const HEADER_ALIGNMENT = 8;

interface PreparedTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

/** Checks a typed array's kind by its tag rather than `instanceof`, so arrays from another realm
 * (a worker, a vm context) and Node Buffers (tagged Uint8Array) are accepted. */
function isTypedArrayNamed(value: unknown, name: string): value is ArrayBufferView & { length: number } {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === `[object ${name}]`;
}

function prepareTensor(name: string, tensor: SafetensorsTensorInput): PreparedTensor {
  const where = `tensor "${name}"`;
  if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
  const { dtype, shape, data } = tensor;
  if (!isSafetensorsDtype(dtype)) {
    fail(`${where}: unknown or unsupported dtype ${describe(dtype)} (supported: ${SAFETENSORS_DTYPES.join(', ')})`);
  }
  const numel = checkShape(shape, where);
  const expectedType = DTYPES[dtype].arrayType;
  let stored: ArrayBufferView & { length: number };
  if ((dtype === 'F16' || dtype === 'BF16') && isTypedArrayNamed(data, 'Float32Array')) {
    stored = dtype === 'F16' ? encodeF16(data as Float32Array) : encodeBF16(data as Float32Array);
  } else if (isTypedArrayNamed(data, expectedType.name)) {
    stored = data;
  } else {
    const allowed = dtype === 'F16' || dtype === 'BF16' ? `${expectedType.name} or Float32Array` : expectedType.name;
    fail(`${where}: ${dtype} data must be a ${allowed} (got ${(data as object | null)?.constructor?.name ?? describe(data)})`);
  }
  if (BigInt(stored.length) !== numel) {
    fail(`${where}: data has ${stored.length} elements but shape [${shape.join(', ')}] needs ${numel}`);
  }
  if (dtype === 'BOOL') {
    const index = (stored as Uint8Array).findIndex((value) => value > 1);
    if (index >= 0) fail(`${where}: BOOL values must be 0 or 1 (got ${(stored as Uint8Array)[index]} at index ${index})`);
  }
  return { name, dtype, shape: [...shape], bytes: new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength) };
}

function checkMetadata(metadata: Record<string, string>): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    fail(`metadata must be an object of string values (got ${describe(metadata)})`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') fail(`metadata values must be strings (got ${describe(value)} for key "${key}")`);
  }
}

/**
 * Serializes tensors to a safetensors file, laid out as the reference implementation (Python's
 * `safetensors.torch.save_file`) does: tensors ordered by descending dtype width (so each one is
 * aligned), then by name; compact JSON header with `__metadata__` first (its keys sorted), padded
 * with spaces so the data section starts 8-byte aligned.
 *
 * @param tensors name -> tensor; names must be unique (guaranteed by the record or map).
 * @param metadata optional string -> string map stored as `__metadata__`; omitted when undefined.
 */
export function writeSafetensors(
  tensors: Record<string, SafetensorsTensorInput> | ReadonlyMap<string, SafetensorsTensorInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (!HOST_IS_LITTLE_ENDIAN) fail('big-endian hosts are not supported');
  const inputs = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const prepared = inputs.map(([name, tensor]) => prepareTensor(name, tensor));
  prepared.sort((a, b) => DTYPES[b.dtype].layoutRank - DTYPES[a.dtype].layoutRank || compareCodePoints(a.name, b.name));

  // The header is assembled by hand: a JS object would move integer-like keys ("0", "1") first.
  const fields: string[] = [];
  if (metadata !== undefined) {
    checkMetadata(metadata);
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const pairs = keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`);
    fields.push(`${JSON.stringify(METADATA_KEY)}:{${pairs.join(',')}}`);
  }
  let offset = 0;
  for (const tensor of prepared) {
    const end = offset + tensor.bytes.length;
    const info = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, end] };
    fields.push(`${JSON.stringify(tensor.name)}:${JSON.stringify(info)}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;

  const dataStart = LENGTH_PREFIX_BYTES + headerLength;
  const file = new Uint8Array(dataStart + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerLength), true);
  file.set(json, LENGTH_PREFIX_BYTES);
  file.fill(0x20, LENGTH_PREFIX_BYTES + json.length, dataStart);
  let position = dataStart;
  for (const tensor of prepared) {
    file.set(tensor.bytes, position);
    position += tensor.bytes.length;
  }
  return file;
}

/** Options for `tensorsToSafetensors`. */
export interface TensorsToSafetensorsOptions {
  /** Metadata stored as `__metadata__`. Default: none. */
  metadata?: Record<string, string>;
  /** How float32 tensors are stored. Default: 'F32'. */
  floatDtype?: 'F32' | 'F16' | 'BF16';
  /** How int32 tensors are stored; 'I64' matches PyTorch's default integer type. Default: 'I32'. */
  intDtype?: 'I32' | 'I64';
}

/**
 * Serializes `tf.Tensor`s to a safetensors file (reads their values synchronously with
 * `dataSync`; the tensors are not disposed). float32, int32 and bool tensors are supported.
 */
export function tensorsToSafetensors(tensors: Record<string, tf.Tensor>, options: TensorsToSafetensorsOptions = {}): Uint8Array {
  const { metadata, floatDtype = 'F32', intDtype = 'I32' } = options;
  const converted: Record<string, SafetensorsTensorInput> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    const shape = [...tensor.shape];
    if (tensor.dtype === 'float32') {
      const read = tensor.dataSync<'float32'>();
      converted[name] = { dtype: floatDtype, shape, data: read instanceof Float32Array ? read : Float32Array.from(read) };
    } else if (tensor.dtype === 'int32') {
      const read = tensor.dataSync<'int32'>();
      const values = read instanceof Int32Array ? read : Int32Array.from(read);
      converted[name] =
        intDtype === 'I64'
          ? { dtype: 'I64', shape, data: BigInt64Array.from(values, (value) => BigInt(value)) }
          : { dtype: 'I32', shape, data: values };
    } else if (tensor.dtype === 'bool') {
      converted[name] = { dtype: 'BOOL', shape, data: Uint8Array.from(tensor.dataSync<'bool'>()) };
    } else {
      fail(`tensor "${name}": tf.Tensor dtype ${tensor.dtype} cannot be stored (supported: float32, int32, bool)`);
    }
  }
  return writeSafetensors(converted, metadata);
}
