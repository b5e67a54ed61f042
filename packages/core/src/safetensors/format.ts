// The safetensors container: an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
// header (optionally space-padded), then the data section. The header maps each tensor name to
// {dtype, shape, data_offsets: [begin, end]} (offsets into the data section) plus an optional
// "__metadata__" object of string -> string. Tensors must tile the data section exactly.

import { DTYPES, SAFETENSORS_DTYPES, isSafetensorsDtype } from './dtypes.js';
import type { SafetensorsDtype } from './dtypes.js';

/** Bytes of the little-endian u64 that opens every file. */
export const LENGTH_PREFIX_BYTES = 8;

/** The largest header accepted, as in the reference implementation (guards against a corrupt or
 * hostile length prefix). */
export const MAX_HEADER_BYTES = 100_000_000;

/** The header key that holds free-form string metadata instead of a tensor. */
export const METADATA_KEY = '__metadata__';

/** One tensor's header entry, validated. */
export interface TensorEntry {
  /** The tensor's name (its header key). */
  readonly name: string;
  /** Its element type. */
  readonly dtype: SafetensorsDtype;
  /** Its shape; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Start of its bytes, relative to the data section. */
  readonly begin: number;
  /** End (exclusive) of its bytes, relative to the data section. */
  readonly end: number;
}

/** A parsed and validated header. */
export interface ParsedHeader {
  /** The `__metadata__` object, or `{}` when the file has none. */
  readonly metadata: Record<string, string>;
  /** Every tensor, in the order of their bytes in the file. */
  readonly entries: readonly TensorEntry[];
  /** Where the data section starts, in bytes from the start of the file. */
  readonly dataStart: number;
}

/** Throws an Error whose message starts with `safetensors:`. */
export function fail(message: string): never {
  throw new Error(`safetensors: ${message}`);
}

/** A short printable form of a JSON value for error messages. */
export function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks that `shape` is an array of non-negative integers and returns its element count (as a
 * bigint, so that absurd shapes cannot overflow). `where` names the tensor in the error. */
export function checkShape(shape: unknown, where: string): bigint {
  if (!Array.isArray(shape) || !shape.every(isByteCount)) {
    fail(`${where}: shape must be an array of non-negative integers (got ${describe(shape)})`);
  }
  return shape.reduce((count: bigint, dim: number) => count * BigInt(dim), 1n);
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) {
    fail(`"${METADATA_KEY}" must be an object of string values (got ${describe(value)})`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      fail(`"${METADATA_KEY}" values must be strings (got ${describe(item)} for key "${key}")`);
    }
  }
  return { ...(value as Record<string, string>) };
}

function parseEntry(name: string, value: unknown, dataBytes: number): TensorEntry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(value)) fail(`${where}: header entry must be an object (got ${describe(value)})`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isSafetensorsDtype(dtype)) {
    fail(`${where}: unknown or unsupported dtype ${describe(dtype)} (supported: ${SAFETENSORS_DTYPES.join(', ')})`);
  }
  const numel = checkShape(shape, where);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isByteCount)) {
    fail(`${where}: data_offsets must be two non-negative integers [begin, end] (got ${describe(offsets)})`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${where}: data_offsets are reversed (begin=${begin} > end=${end})`);
  if (end > dataBytes) {
    fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataBytes} bytes)`);
  }
  const expectedBytes = numel * BigInt(DTYPES[dtype].byteSize);
  if (BigInt(end - begin) !== expectedBytes) {
    fail(
      `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${(shape as number[]).join(', ')}] ` +
        `of ${dtype} needs ${expectedBytes} bytes`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

/** Checks that the tensors, sorted by offset, tile the data section with no gap, overlap or tail. */
function checkCoverage(entries: readonly TensorEntry[], dataBytes: number): void {
  let covered = 0;
  let previous: TensorEntry | undefined;
  for (const entry of entries) {
    if (entry.begin < covered && previous !== undefined) {
      fail(
        `tensor "${entry.name}" [${entry.begin}, ${entry.end}] overlaps tensor "${previous.name}" ` +
          `[${previous.begin}, ${previous.end}]`,
      );
    }
    if (entry.begin > covered) {
      const before = previous === undefined ? 'the start of the data section' : `tensor "${previous.name}" (ends at ${covered})`;
      fail(`gap of ${entry.begin - covered} bytes between ${before} and tensor "${entry.name}" (begins at ${entry.begin})`);
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered !== dataBytes) {
    fail(`${dataBytes - covered} trailing bytes after the last tensor (tensors end at ${covered}, data section has ${dataBytes} bytes)`);
  }
}

/** Parses and validates the header of a whole safetensors file, with bounds checks on every
 * length and offset. Throws an Error starting with `safetensors:` on any malformed input. */
export function parseHeader(bytes: Uint8Array): ParsedHeader {
  if (bytes.length < LENGTH_PREFIX_BYTES) {
    fail(`file is ${bytes.length} bytes, shorter than the ${LENGTH_PREFIX_BYTES}-byte header length prefix`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, LENGTH_PREFIX_BYTES).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const dataStart = LENGTH_PREFIX_BYTES + Number(headerLength);
  if (dataStart > bytes.length) {
    fail(`header length ${headerLength} runs past the end of the file (needs ${dataStart} bytes, file is ${bytes.length})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(LENGTH_PREFIX_BYTES, dataStart));
  } catch {
    fail(`header (${headerLength} bytes) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) fail(`header must be a JSON object (got ${describe(header)})`);

  const dataBytes = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value);
    else entries.push(parseEntry(name, value, dataBytes));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || compareCodePoints(a.name, b.name));
  checkCoverage(entries, dataBytes);
  return { metadata, entries, dataStart };
}

/** Orders strings by Unicode code point, i.e. by their UTF-8 bytes, as Rust's `str` ordering
 * does (JavaScript's `<` compares UTF-16 units, which differs for characters above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const difference = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
