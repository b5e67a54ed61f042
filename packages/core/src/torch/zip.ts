// The zip container torch.save writes (PyTorch's `PyTorchStreamWriter`, built on miniz): every
// record stored uncompressed, its data padded to a 64-byte boundary through the local header's
// extra field, zip64 records once the archive passes 4 GiB. Only what that writer produces is
// read: stored records, one disk. Every length and offset is checked against the bytes given.

import { crc32 } from './crc32.js';

/** One record of the archive. */
export interface ZipRecord {
  /** Its path inside the archive (`archive/data/0`). */
  readonly name: string;
  /** Where its bytes start in the archive. */
  readonly offset: number;
  /** Its length in bytes. */
  readonly size: number;
  /** The CRC-32 the directory gives for it. */
  readonly crc: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const END_OF_DIRECTORY_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const STORED = 0;

function fail(message: string): never {
  throw new Error(`torch checkpoint (zip): ${message}`);
}

/** Whether `bytes` starts like a zip archive (a local file header). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** A bounds-checked little-endian reader over the archive. */
class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  check(offset: number, length: number, what: string): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.bytes.length)) {
      fail(`${what} at byte ${offset} (+${length}) runs past the end of the ${this.bytes.length}-byte file (truncated?)`);
    }
  }
  u16(offset: number, what: string): number {
    this.check(offset, 2, what);
    return this.view.getUint16(offset, true);
  }
  u32(offset: number, what: string): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, true);
  }
  u64(offset: number, what: string): number {
    this.check(offset, 8, what);
    const value = this.view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} at byte ${offset} is ${value}, beyond any real file`);
    return Number(value);
  }
}

/** Finds the end-of-central-directory record: 22 bytes plus a comment of at most 64 KiB, at the end. */
function findEndOfDirectory(reader: Reader): number {
  const last = reader.bytes.length - END_OF_DIRECTORY_BYTES;
  if (last < 0) fail(`file is ${reader.bytes.length} bytes, too short to hold a zip directory (truncated?)`);
  const first = Math.max(0, last - MAX_COMMENT_BYTES);
  for (let at = last; at >= first; at--) {
    if (reader.u32(at, 'end of directory') === END_OF_DIRECTORY) return at;
  }
  fail('no end-of-directory record: the archive is truncated or not a zip file');
}

interface Directory {
  count: number;
  offset: number;
  size: number;
}

/** The central directory's place and entry count, from the end record or its zip64 twin. */
function readDirectoryLocation(reader: Reader, end: number): Directory {
  let count = reader.u16(end + 10, 'entry count');
  let size = reader.u32(end + 12, 'directory size');
  let offset = reader.u32(end + 16, 'directory offset');
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || reader.u32(locator, 'zip64 locator') !== ZIP64_END_LOCATOR) fail('the end record asks for zip64 but there is no zip64 locator');
    const end64 = reader.u64(locator + 8, 'zip64 end offset');
    if (reader.u32(end64, 'zip64 end record') !== ZIP64_END_OF_DIRECTORY) fail(`no zip64 end record at byte ${end64}`);
    count = reader.u64(end64 + 32, 'zip64 entry count');
    size = reader.u64(end64 + 40, 'zip64 directory size');
    offset = reader.u64(end64 + 48, 'zip64 directory offset');
  }
  reader.check(offset, size, 'central directory');
  // Each directory entry takes at least 46 bytes: a count beyond that is a lie.
  if (count * 46 > size) fail(`the directory claims ${count} records but is only ${size} bytes`);
  return { count, offset, size };
}

/** The zip64 extra field's 64-bit values, in the order the spec gives, for the fields saturated in the entry. */
function zip64Values(reader: Reader, start: number, length: number, wanted: number, name: string): number[] {
  let at = start;
  while (at + 4 <= start + length) {
    const id = reader.u16(at, 'extra field id');
    const size = reader.u16(at + 2, 'extra field size');
    if (id === ZIP64_EXTRA_ID) {
      if (size < wanted * 8) fail(`record "${name}": zip64 extra field of ${size} bytes, needs ${wanted * 8}`);
      return Array.from({ length: wanted }, (_, i) => reader.u64(at + 4 + i * 8, 'zip64 value'));
    }
    at += 4 + size;
  }
  fail(`record "${name}" has saturated sizes but no zip64 extra field`);
}

const decoder = new TextDecoder('utf-8');

/**
 * Reads the directory of a zip archive held in memory: record name -> where its bytes are. Throws
 * an Error starting with `torch checkpoint (zip):` for a truncated or lying archive, a compressed
 * record (torch.save stores records uncompressed) or a record that runs past the end.
 */
export function readZipDirectory(bytes: Uint8Array): Map<string, ZipRecord> {
  const reader = new Reader(bytes);
  const directory = readDirectoryLocation(reader, findEndOfDirectory(reader));
  const records = new Map<string, ZipRecord>();
  let at = directory.offset;
  const directoryEnd = directory.offset + directory.size;
  for (let index = 0; index < directory.count; index++) {
    if (at + 46 > directoryEnd || reader.u32(at, 'directory entry') !== DIRECTORY_ENTRY) fail(`directory entry ${index} at byte ${at} is malformed`);
    const method = reader.u16(at + 10, 'compression method');
    const crc = reader.u32(at + 16, 'crc');
    let compressed = reader.u32(at + 20, 'compressed size');
    let size = reader.u32(at + 24, 'size');
    const nameLength = reader.u16(at + 28, 'name length');
    const extraLength = reader.u16(at + 30, 'extra length');
    const commentLength = reader.u16(at + 32, 'comment length');
    let localOffset = reader.u32(at + 42, 'local header offset');
    reader.check(at + 46, nameLength + extraLength + commentLength, 'directory entry');
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const saturated = [size, compressed, localOffset].filter((v) => v === 0xffffffff).length;
    if (saturated > 0) {
      const values = zip64Values(reader, at + 46 + nameLength, extraLength, saturated, name);
      if (size === 0xffffffff) size = values.shift() as number;
      if (compressed === 0xffffffff) compressed = values.shift() as number;
      if (localOffset === 0xffffffff) localOffset = values.shift() as number;
    }
    if (method !== STORED) fail(`record "${name}" is compressed (method ${method}); torch.save stores records uncompressed — re-save the checkpoint with torch.save`);
    if (compressed !== size) fail(`record "${name}" is stored but its sizes differ (${compressed} vs ${size})`);
    if (reader.u32(localOffset, `local header of "${name}"`) !== LOCAL_HEADER) fail(`record "${name}": no local header at byte ${localOffset}`);
    const dataStart = localOffset + 30 + reader.u16(localOffset + 26, 'name length') + reader.u16(localOffset + 28, 'extra length');
    reader.check(dataStart, size, `record "${name}"`);
    if (records.has(name)) fail(`record "${name}" appears twice`);
    records.set(name, { name, offset: dataStart, size, crc });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return records;
}

/** The bytes of `record` (a view into `bytes`), after checking them against the directory's CRC-32. */
export function recordBytes(bytes: Uint8Array, record: ZipRecord): Uint8Array {
  const data = bytes.subarray(record.offset, record.offset + record.size);
  if (crc32(data) !== record.crc) fail(`record "${record.name}" is corrupt (its CRC-32 does not match the directory's)`);
  return data;
}
