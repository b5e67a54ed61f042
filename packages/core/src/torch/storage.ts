// Storages and the tensors that view them. A PyTorch tensor is (storage, element offset, sizes,
// element strides): two tensors may view one storage (a slice, a transpose), and a tensor need not
// be contiguous. Reading one copies exactly its elements, in row-major order, into a fresh array.

import { DTYPES, HOST_IS_LITTLE_ENDIAN, storageArray, type SafetensorsDtype, type SafetensorsTensor } from '../safetensors/dtypes.js';
import { copyStrided } from '../strided.js';
import type { TensorRef } from './globals.js';

/** One storage: its element type and its bytes (a view into the checkpoint, exactly `numel` elements). */
export interface Storage {
  readonly key: string;
  readonly dtype: SafetensorsDtype;
  readonly numel: number;
  readonly bytes: Uint8Array;
}

/** A tensor checked against its storage. */
export interface StoredTensor {
  readonly storage: Storage;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

/**
 * Checks that `ref` stays inside `storage`: every element it addresses lies within the storage, and
 * it has no more elements than the storage (a stride-0, expanded tensor could otherwise ask for an
 * allocation far beyond the file). Throws an Error saying which bound is broken.
 */
export function checkTensor(name: string, ref: TensorRef, storage: Storage): StoredTensor {
  const numel = ref.shape.reduce((n, d) => n * BigInt(d), 1n);
  if (numel > 0n) {
    const last = ref.shape.reduce((at, d, i) => at + BigInt(d - 1) * BigInt(ref.strides[i] as number), BigInt(ref.offset));
    if (last >= BigInt(storage.numel)) {
      throw new Error(
        `tensor "${name}" (shape [${ref.shape.join(', ')}], strides [${ref.strides.join(', ')}], offset ${ref.offset}) reaches element ${last} ` +
          `of storage "${storage.key}", which has ${storage.numel} elements`,
      );
    }
    if (numel > BigInt(storage.numel)) {
      throw new Error(`tensor "${name}" has ${numel} elements, more than its storage "${storage.key}" (${storage.numel}): expanded tensors are not supported`);
    }
  }
  return { storage, offset: ref.offset, shape: ref.shape, strides: ref.strides };
}

function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const size = shape[axis] as number;
    if (size !== 1 && strides[axis] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** The tensor's elements in row-major order, in a fresh array of its dtype's storage type. */
export function readStoredTensor(tensor: StoredTensor): SafetensorsTensor {
  if (!HOST_IS_LITTLE_ENDIAN) throw new Error('big-endian hosts are not supported');
  const { storage, shape, strides, offset } = tensor;
  const elementBytes = DTYPES[storage.dtype].byteSize;
  const numel = shape.reduce((n, d) => n * d, 1);
  const out = new Uint8Array(numel * elementBytes);
  if (isContiguous(shape, strides)) {
    out.set(storage.bytes.subarray(offset * elementBytes, (offset + numel) * elementBytes));
  } else if (numel > 0) {
    // Whole words: 8-byte elements as two 32-bit halves.
    const words = elementBytes === 8 ? 2 : 1;
    const wordBytes = elementBytes / words;
    // A view when the storage's bytes are aligned to the word (torch.save's zip records are); else one aligned copy.
    const bytes = storage.bytes.byteOffset % wordBytes === 0 ? storage.bytes : storage.bytes.slice();
    const wordCount = bytes.byteLength / wordBytes;
    const source = wordBytes === 4 ? new Uint32Array(bytes.buffer, bytes.byteOffset, wordCount) : wordBytes === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, wordCount) : bytes;
    const target = wordBytes === 4 ? new Uint32Array(out.buffer) : wordBytes === 2 ? new Uint16Array(out.buffer) : out;
    copyStrided(source, offset, shape, strides, target, words);
  }
  return { dtype: storage.dtype, shape: [...shape], data: storageArray(storage.dtype, out.buffer) } as SafetensorsTensor;
}
