/**
 * A minimal protocol-buffers writer: just the wire types ONNX's messages need (varint, 32-bit and
 * length-delimited). A message is built as a list of byte chunks with its total length tracked, so
 * a nested message costs one length prefix and no copy; large payloads (weights) are referenced,
 * not copied, until `finish()` joins everything into one buffer.
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/): every field is a key
 * `(fieldNumber << 3) | wireType` as a varint, then the value: a varint (wire type 0), 4 little-endian
 * bytes (wire type 5), or a varint length followed by that many bytes (wire type 2).
 */

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const utf8 = new TextEncoder();

/** `value` (an integer in [-2^63, 2^64)) as a base-128 varint; negatives as 64-bit two's complement
 * (10 bytes), as protobuf encodes a negative `int64`. */
export function encodeVarint(value: number | bigint): Uint8Array {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new Error(`encodeVarint: \`value\` must be a safe integer (got value=${value})`);
  }
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

/** Builds one protobuf message; fields are written in call order. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /** Total encoded length in bytes so far. */
  get length(): number {
    return this.size;
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  private key(field: number, wireType: number): void {
    this.push(encodeVarint(field * 8 + wireType));
  }

  /** An integer field (`int32`, `int64`, enum) as a varint. */
  int(field: number, value: number): this {
    this.key(field, VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  /** A `float` field: 4 bytes, IEEE 754 single precision, little-endian. */
  float(field: number, value: number): this {
    this.key(field, FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  /** A `bytes` field; the array is referenced, not copied, until `finish()`. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.push(encodeVarint(value.length));
    this.push(value);
    return this;
  }

  /** A `string` field, UTF-8. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** An embedded message field. */
  message(field: number, value: ProtoWriter): this {
    this.key(field, LENGTH_DELIMITED);
    this.push(encodeVarint(value.size));
    for (const chunk of value.chunks) this.chunks.push(chunk);
    this.size += value.size;
    return this;
  }

  /** The encoded message as one buffer. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
