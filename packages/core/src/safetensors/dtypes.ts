/** The safetensors element types this package reads and writes. F16 and BF16 are stored as raw
 * 16-bit patterns (JavaScript has no 16-bit float array); BOOL is one byte per element, 0 or 1. */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** The typed array that holds each dtype's stored values. */
export interface SafetensorsArrayOf {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

/** A tensor as stored: its dtype, its shape (`[]` for a scalar) and its row-major values in the
 * dtype's storage array. The union over dtypes lets `switch (t.dtype)` narrow `t.data`. */
export type SafetensorsTensor = {
  [D in SafetensorsDtype]: { dtype: D; shape: number[]; data: SafetensorsArrayOf[D] };
}[SafetensorsDtype];

interface TypedArrayConstructorOf<A> {
  new (buffer: ArrayBuffer): A;
  readonly BYTES_PER_ELEMENT: number;
}

interface DtypeInfo<D extends SafetensorsDtype> {
  /** Bytes per element. */
  readonly byteSize: number;
  /** The storage array's constructor. */
  readonly arrayType: TypedArrayConstructorOf<SafetensorsArrayOf[D]>;
  /** Position in the reference implementation's dtype order; its writer lays tensors out by
   * descending rank (widest first, so every tensor stays aligned), then by name. */
  readonly layoutRank: number;
  /** Whether the values are floating point. */
  readonly isFloat: boolean;
}

/** Per-dtype facts, keyed by dtype name. */
export const DTYPES: { readonly [D in SafetensorsDtype]: DtypeInfo<D> } = {
  BOOL: { byteSize: 1, arrayType: Uint8Array, layoutRank: 0, isFloat: false },
  U8: { byteSize: 1, arrayType: Uint8Array, layoutRank: 1, isFloat: false },
  I8: { byteSize: 1, arrayType: Int8Array, layoutRank: 2, isFloat: false },
  I16: { byteSize: 2, arrayType: Int16Array, layoutRank: 5, isFloat: false },
  U16: { byteSize: 2, arrayType: Uint16Array, layoutRank: 6, isFloat: false },
  F16: { byteSize: 2, arrayType: Uint16Array, layoutRank: 7, isFloat: true },
  BF16: { byteSize: 2, arrayType: Uint16Array, layoutRank: 8, isFloat: true },
  I32: { byteSize: 4, arrayType: Int32Array, layoutRank: 9, isFloat: false },
  U32: { byteSize: 4, arrayType: Uint32Array, layoutRank: 10, isFloat: false },
  F32: { byteSize: 4, arrayType: Float32Array, layoutRank: 11, isFloat: true },
  F64: { byteSize: 8, arrayType: Float64Array, layoutRank: 12, isFloat: true },
  I64: { byteSize: 8, arrayType: BigInt64Array, layoutRank: 13, isFloat: false },
  U64: { byteSize: 8, arrayType: BigUint64Array, layoutRank: 14, isFloat: false },
};

/** Every supported dtype name, in the reference implementation's order. */
export const SAFETENSORS_DTYPES = Object.keys(DTYPES) as SafetensorsDtype[];

/** Whether `value` names a supported dtype. */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

/** Wraps a fresh, exclusively owned buffer in the storage array of `dtype`. */
export function storageArray<D extends SafetensorsDtype>(dtype: D, buffer: ArrayBuffer): SafetensorsArrayOf[D] {
  const info = DTYPES[dtype] as DtypeInfo<D>;
  return new info.arrayType(buffer);
}

/** Whether this machine stores numbers little-endian, as safetensors does (true on every common
 * platform; a big-endian host is refused rather than handed byte-swapped values). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
