import * as tf from '@tensorflow/tfjs';
import { expectNoLeakedTensors, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';

import {
  decodeBF16,
  decodeF16,
  encodeBF16,
  encodeF16,
  readSafetensors,
  SAFETENSORS_DTYPES,
  tensorsToSafetensors,
  writeSafetensors,
} from '../src/safetensors/index.js';
import type { SafetensorsTensor, SafetensorsTensorInput } from '../src/safetensors/index.js';

useBackend('cpu');

const ascii = (text: string): number[] => [...new TextEncoder().encode(text)];

/** A file built by hand: u64 header length (or `lengthOverride`), the header text, the data bytes. */
function handBuiltFile(header: string, data: Uint8Array | number = 0, lengthOverride?: bigint): Uint8Array {
  const headerBytes = new TextEncoder().encode(header);
  const dataBytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const file = new Uint8Array(8 + headerBytes.length + dataBytes.length);
  new DataView(file.buffer).setBigUint64(0, lengthOverride ?? BigInt(headerBytes.length), true);
  file.set(headerBytes, 8);
  file.set(dataBytes, 8 + headerBytes.length);
  return file;
}

const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

describe('F16 and BF16 conversion', () => {
  const f16Table: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x0000, 0],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];

  it('decodes F16 bit patterns exactly', () => {
    const decoded = decodeF16(new Uint16Array(f16Table.map(([bits]) => bits)));
    expect([...decoded]).toEqual(f16Table.map(([, value]) => value));
    expect(Object.is(decoded[7], -0)).toBe(true);
    expect(decodeF16(new Uint16Array([0x7e00, 0xfc01]))).toSatisfy((v: Float32Array) => v.every(Number.isNaN));
  });

  it('encodes F16 exactly and rounds ties to even', () => {
    const cases: [number, number][] = [
      ...f16Table.map(([bits, value]): [number, number] => [value, bits]),
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next F16: ties to the even 1
      [1 + 3 * 2 ** -11, 0x3c02], // halfway between 0x3c01 and 0x3c02: ties to even 0x3c02
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway rounds up
      [2 ** -25, 0x0000], // halfway between 0 and the smallest subnormal
      [3 * 2 ** -25, 0x0002], // halfway between subnormals 1 and 2
      [2 ** -25 * 1.0001, 0x0001],
      [65519, 0x7bff], // below the halfway point to inf
      [65520, 0x7c00], // halfway between 65504 (odd mantissa) and inf
      [1e6, 0x7c00],
      [-1e-10, 0x8000],
    ];
    const encoded = encodeF16(new Float32Array(cases.map(([value]) => value)));
    expect([...encoded].map((bits) => bits.toString(16))).toEqual(cases.map(([, bits]) => bits.toString(16)));
    expect(decodeF16(encodeF16(new Float32Array([NaN])))[0]).toBeNaN();
  });

  it('round-trips every non-NaN F16 and BF16 bit pattern', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const firstMismatch = (expected: Uint16Array, actual: Uint16Array) => expected.findIndex((bits, i) => actual[i] !== bits);
    const notNaN = all.filter((bits) => (bits & 0x7c00) !== 0x7c00 || (bits & 0x3ff) === 0);
    expect(notNaN).toHaveLength(65536 - 2046);
    expect(firstMismatch(notNaN, encodeF16(decodeF16(notNaN)))).toBe(-1);
    const bf16NotNaN = all.filter((bits) => (bits & 0x7f80) !== 0x7f80 || (bits & 0x7f) === 0);
    expect(bf16NotNaN).toHaveLength(65536 - 254);
    expect(firstMismatch(bf16NotNaN, encodeBF16(decodeBF16(bf16NotNaN)))).toBe(-1);
  });

  it('decodes and encodes BF16 exactly, ties to even', () => {
    const decoded = decodeBF16(new Uint16Array([0x3f80, 0xc000, 0x0001, 0x7f80, 0xff80, 0x7fc0]));
    expect([...decoded].slice(0, 5)).toEqual([1, -2, 2 ** -133, Infinity, -Infinity]);
    expect(decoded[5]).toBeNaN();
    const values = [1, -2, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 65504, 3.4028234663852886e38, Infinity, 2 ** -133];
    const expected = [0x3f80, 0xc000, 0x3f80, 0x3f82, 0x4780, 0x7f80, 0x7f80, 0x0001];
    expect([...encodeBF16(new Float32Array(values))]).toEqual(expected);
    expect(decodeBF16(encodeBF16(new Float32Array([NaN])))[0]).toBeNaN();
  });
});

describe('readSafetensors', () => {
  // Tensors listed out of offset order, and a header that is not padded: the data section starts
  // at an odd byte, so every tensor is unaligned in the file.
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    weight: entry('F32', [2, 2], [4, 20]),
    bias: entry('F16', [2], [0, 4]),
    step: entry('I64', [], [20, 28]),
  });
  const data = new Uint8Array(28);
  const view = new DataView(data.buffer);
  view.setUint16(0, 0x3c00, true);
  view.setUint16(2, 0xc000, true);
  [1.5, -2, 0.25, 3].forEach((value, i) => view.setFloat32(4 + 4 * i, value, true));
  view.setBigInt64(20, 7n, true);
  const file = handBuiltFile(header, data);

  it('reads a hand-built file', () => {
    expect((8 + header.length) % 4).not.toBe(0);
    const parsed = readSafetensors(file);
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect(parsed.names()).toEqual(['bias', 'weight', 'step']);
    expect(parsed.info('weight')).toEqual({ dtype: 'F32', shape: [2, 2], byteLength: 16 });
    expect(parsed.get('bias')).toEqual({ dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) });
    expect(parsed.getFloat32('bias')).toEqual(new Float32Array([1, -2]));
    expect(parsed.get('weight').data).toEqual(new Float32Array([1.5, -2, 0.25, 3]));
    expect(parsed.get('step')).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([7n]) });
    expect(parsed.getFloat32('step')).toEqual(new Float32Array([7]));
    expect(parsed.rawBytes('bias')).toEqual(data.subarray(0, 4));
  });

  it('reads from an ArrayBuffer and from a view at an odd offset', () => {
    const padded = new Uint8Array(file.length + 3);
    padded.set(file, 3);
    for (const input of [file.slice().buffer, padded.subarray(3)]) {
      expect(readSafetensors(input).getFloat32('weight')).toEqual(new Float32Array([1.5, -2, 0.25, 3]));
    }
  });

  it('returns copies that do not alias the file', () => {
    const parsed = readSafetensors(file.slice());
    parsed.get('weight').data[0] = 99;
    expect(parsed.getFloat32('weight')[0]).toBe(1.5);
  });

  it('converts to tf.Tensor', async () => {
    const parsed = readSafetensors(file);
    await expectNoLeakedTensors(() => {
      const weight = parsed.toTensor('weight');
      const step = parsed.toTensor('step');
      const bias = parsed.toTensor('bias');
      expect([weight.dtype, weight.shape, weight.arraySync()]).toEqual(['float32', [2, 2], [[1.5, -2], [0.25, 3]]]);
      expect([step.dtype, step.shape, step.arraySync()]).toEqual(['int32', [], 7]);
      expect([bias.dtype, bias.arraySync()]).toEqual(['float32', [1, -2]]);
      tf.dispose([weight, step, bias]);
    });
  });

  it('refuses I64 values that do not fit the requested type', () => {
    const big = writeSafetensors({
      huge: { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n ** 53n + 1n]) },
      wide: { dtype: 'I64', shape: [2], data: new BigInt64Array([0n, 2n ** 31n]) },
    });
    const parsed = readSafetensors(big);
    expect(() => parsed.getFloat32('huge')).toThrow(/^safetensors: tensor "huge" \(I64\): value 9007199254740993 at index 1 is beyond ±2\^53/);
    expect(parsed.getFloat32('wide')).toEqual(new Float32Array([0, 2 ** 31]));
    expect(() => parsed.toTensor('wide')).toThrow(/^safetensors: tensor "wide" \(I64\): value 2147483648 at index 1 is outside the int32 range/);
  });

  it('names the missing tensor', () => {
    expect(() => readSafetensors(file).info('nope')).toThrow('safetensors: no tensor named "nope" (the file has 3 tensors: bias, weight, step)');
  });
});

describe('writeSafetensors', () => {
  it('writes the expected bytes', () => {
    const written = writeSafetensors(
      {
        b: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        a: { dtype: 'F16', shape: [], data: new Float32Array([-2]) },
      },
      { format: 'pt' },
    );
    // F32 before F16 (wider dtype first), despite the names; 137 header bytes padded to 144.
    const json = '{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F16","shape":[],"data_offsets":[4,6]}}';
    const expected = [0x90, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), ...ascii('       '), 0x00, 0x00, 0x80, 0x3f, 0x00, 0xc0];
    expect([...written]).toEqual(expected);
  });

  it('matches the reference implementation\'s own expected output', () => {
    // huggingface/safetensors bindings/python/tests/test_simple.py (test_serialization): saving
    // {"test": np.zeros((2, 2), dtype=np.int32)} must give exactly these bytes.
    const json = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    ';
    const expected = [0x40, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), ...new Array<number>(16).fill(0)];
    const written = writeSafetensors({ test: { dtype: 'I32', shape: [2, 2], data: new Int32Array(4) } });
    expect([...written]).toEqual(expected);
    // The reference's unpadded variant (header of 60 bytes, data unaligned) reads as well.
    const unpadded = [0x3c, 0, 0, 0, 0, 0, 0, 0, ...ascii(json.trimEnd()), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
    expect(readSafetensors(new Uint8Array(unpadded)).get('test')).toEqual({ dtype: 'I32', shape: [2, 2], data: new Int32Array([0, 0, 0, 1]) });
  });

  it('pads the header with spaces so the data section is 8-byte aligned', () => {
    for (let nameLength = 1; nameLength <= 8; nameLength++) {
      const written = writeSafetensors({
        ['x'.repeat(nameLength)]: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        w: { dtype: 'F64', shape: [1], data: new Float64Array([0.5]) },
      });
      const headerLength = Number(new DataView(written.buffer).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      const headerText = new TextDecoder().decode(written.subarray(8, 8 + headerLength));
      expect(headerText).toMatch(/^\{.*\} *$/);
      expect(readSafetensors(written).get('w').data).toEqual(new Float64Array([0.5]));
    }
  });

  it('orders the header keys by dtype width, then by code point, keeping integer-like names in place', () => {
    const u8 = (n: number) => ({ dtype: 'U8' as const, shape: [1], data: new Uint8Array([n]) });
    const written = writeSafetensors({ b: u8(1), '10': u8(2), '2': u8(3), '\u{1F600}': u8(4), '\uFFFD': u8(5) });
    const headerLength = Number(new DataView(written.buffer).getBigUint64(0, true));
    const keys = [...new TextDecoder().decode(written.subarray(8, 8 + headerLength)).matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
    expect(keys).toEqual(['10', '2', 'b', '\uFFFD', '\u{1F600}']);
    expect(readSafetensors(written).names()).toEqual(keys);
  });

  it('round-trips every dtype, scalars and zero-size tensors', () => {
    const tensors: Record<string, SafetensorsTensor> = {
      f64: { dtype: 'F64', shape: [2], data: new Float64Array([Math.PI, -1e300]) },
      f32: { dtype: 'F32', shape: [2, 1], data: new Float32Array([0.1, -Infinity]) },
      f16: { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x0001, 0x7bff]) },
      bf16: { dtype: 'BF16', shape: [], data: new Uint16Array([0x3f80]) },
      i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
      u64: { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
      i32: { dtype: 'I32', shape: [], data: new Int32Array([-5]) },
      u32: { dtype: 'U32', shape: [1], data: new Uint32Array([4e9]) },
      i16: { dtype: 'I16', shape: [2], data: new Int16Array([-300, 300]) },
      u16: { dtype: 'U16', shape: [1], data: new Uint16Array([65535]) },
      i8: { dtype: 'I8', shape: [1, 1, 1], data: new Int8Array([-128]) },
      u8: { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) },
      bool: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      empty: { dtype: 'F32', shape: [0], data: new Float32Array(0) },
      emptyMatrix: { dtype: 'I64', shape: [2, 0, 3], data: new BigInt64Array(0) },
    };
    expect(new Set(Object.values(tensors).map((t) => t.dtype))).toEqual(new Set(SAFETENSORS_DTYPES));
    const parsed = readSafetensors(writeSafetensors(tensors, { note: 'ünïcode' }));
    expect(parsed.metadata).toEqual({ note: 'ünïcode' });
    expect(parsed.names()).toHaveLength(Object.keys(tensors).length);
    for (const [name, tensor] of Object.entries(tensors)) expect(parsed.get(name)).toEqual(tensor);
  });

  it('accepts a Map and rounds float32 input for F16 and BF16', () => {
    const input = new Map<string, SafetensorsTensorInput>([
      ['half', { dtype: 'F16', shape: [2], data: new Float32Array([0.1, 1 + 2 ** -11]) }],
      ['brain', { dtype: 'BF16', shape: [1], data: new Float32Array([0.1]) }],
    ]);
    const parsed = readSafetensors(writeSafetensors(input));
    expect(parsed.get('half').data).toEqual(encodeF16(new Float32Array([0.1, 1])));
    expect(parsed.getFloat32('half')).toEqual(new Float32Array([0.0999755859375, 1]));
    expect(parsed.getFloat32('brain')).toEqual(new Float32Array([0.10009765625]));
  });

  it('writes tf.Tensors without leaking', async () => {
    const a = tf.tensor2d([[1, 2.5], [3, -4]]);
    const n = tf.scalar(3, 'int32');
    const mask = tf.tensor1d([true, false], 'bool');
    await expectNoLeakedTensors(() => {
      const parsed = readSafetensors(tensorsToSafetensors({ a, n, mask }, { floatDtype: 'BF16', intDtype: 'I64', metadata: { k: 'v' } }));
      expect(parsed.metadata).toEqual({ k: 'v' });
      expect(parsed.info('a')).toEqual({ dtype: 'BF16', shape: [2, 2], byteLength: 8 });
      expect(parsed.get('n')).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([3n]) });
      const back = parsed.toTensor('mask');
      expect([back.dtype, back.arraySync()]).toEqual(['bool', [1, 0]]);
      back.dispose();
      expect(parsed.getFloat32('a')).toEqual(new Float32Array([1, 2.5, 3, -4]));
    });
    tf.dispose([a, n, mask]);
  });

  it.each<[string, () => unknown, string]>([
    ['data length', () => writeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } }), 'tensor "w": data has 5 elements but shape [2, 3] needs 6'],
    ['array type', () => writeSafetensors({ w: { dtype: 'I32', shape: [1], data: new Float32Array(1) } as never }), 'tensor "w": I32 data must be a Int32Array (got Float32Array)'],
    ['dtype', () => writeSafetensors({ w: { dtype: 'F8_E4M3', shape: [1], data: new Uint8Array(1) } as never }), 'tensor "w": unknown or unsupported dtype "F8_E4M3"'],
    ['shape', () => writeSafetensors({ w: { dtype: 'U8', shape: [-1], data: new Uint8Array(1) } }), 'tensor "w": shape must be an array of non-negative integers (got [-1])'],
    ['reserved name', () => writeSafetensors({ __metadata__: { dtype: 'U8', shape: [], data: new Uint8Array(1) } }), '"__metadata__" is reserved'],
    ['bool value', () => writeSafetensors({ m: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 2]) } }), 'tensor "m": BOOL values must be 0 or 1 (got 2 at index 1)'],
    ['metadata', () => writeSafetensors({}, { n: 1 } as never), 'metadata values must be strings (got 1 for key "n")'],
  ])('rejects bad input: %s', (_, write, message) => {
    expect(write).toThrow(`safetensors: ${message}`);
  });
});

describe('malformed files', () => {
  const f32 = entry('F32', [2], [0, 8]);
  const cases: [string, Uint8Array, string | RegExp][] = [
    ['truncated prefix', new Uint8Array(5), 'file is 5 bytes, shorter than the 8-byte header length prefix'],
    ['header length beyond the file', handBuiltFile('{}', 0, 50n), 'header length 50 runs past the end of the file (needs 58 bytes, file is 10)'],
    ['absurd header length', handBuiltFile('{}', 0, 2n ** 40n), 'header length 1099511627776 exceeds the 100000000-byte limit'],
    ['invalid UTF-8', handBuiltFile('{"ab"}').map((b, i) => (i === 10 ? 0xff : b)), 'header (6 bytes) is not valid UTF-8'],
    ['bad JSON', handBuiltFile('{"w": {'), /^safetensors: header is not valid JSON \(/],
    ['not an object', handBuiltFile('[1, 2]'), 'header must be a JSON object (got [1,2])'],
    ['__metadata__ not an object', handBuiltFile('{"__metadata__": "pt"}'), '"__metadata__" must be an object of string values (got "pt")'],
    ['metadata value not a string', handBuiltFile('{"__metadata__": {"n": 3}}'), '"__metadata__" values must be strings (got 3 for key "n")'],
    ['entry not an object', handBuiltFile('{"w": 5}'), 'tensor "w": header entry must be an object (got 5)'],
    ['unknown dtype', handBuiltFile(JSON.stringify({ w: entry('F12', [2], [0, 8]) }), 8), 'tensor "w": unknown or unsupported dtype "F12" (supported: BOOL, U8'],
    ['negative dim', handBuiltFile(JSON.stringify({ w: entry('F32', [2, -1], [0, 8]) }), 8), 'tensor "w": shape must be an array of non-negative integers (got [2,-1])'],
    ['fractional dim', handBuiltFile(JSON.stringify({ w: entry('F32', [1.5], [0, 8]) }), 8), 'tensor "w": shape must be an array of non-negative integers (got [1.5])'],
    ['shape not an array', handBuiltFile(JSON.stringify({ w: entry('F32', 2, [0, 8]) }), 8), 'tensor "w": shape must be an array of non-negative integers (got 2)'],
    ['three offsets', handBuiltFile(JSON.stringify({ w: entry('F32', [2], [0, 4, 8]) }), 8), 'tensor "w": data_offsets must be two non-negative integers [begin, end] (got [0,4,8])'],
    ['missing offsets', handBuiltFile(JSON.stringify({ w: { dtype: 'F32', shape: [2] } }), 8), 'tensor "w": data_offsets must be two non-negative integers [begin, end] (got undefined)'],
    ['reversed offsets', handBuiltFile(JSON.stringify({ w: entry('F32', [2], [8, 0]) }), 8), 'tensor "w": data_offsets are reversed (begin=8 > end=0)'],
    ['offsets beyond the buffer', handBuiltFile(JSON.stringify({ w: entry('F32', [2], [0, 8]) }), 6), 'tensor "w": data_offsets [0, 8] run past the end of the data section (6 bytes)'],
    ['wrong byte length', handBuiltFile(JSON.stringify({ w: entry('F32', [3], [0, 8]) }), 8), 'tensor "w": data_offsets [0, 8] span 8 bytes but shape [3] of F32 needs 12 bytes'],
    ['overlap', handBuiltFile(JSON.stringify({ a: f32, b: entry('F32', [2], [4, 12]) }), 12), 'tensor "b" [4, 12] overlaps tensor "a" [0, 8]'],
    ['gap', handBuiltFile(JSON.stringify({ a: f32, b: entry('F32', [2], [12, 20]) }), 20), 'gap of 4 bytes between tensor "a" (ends at 8) and tensor "b" (begins at 12)'],
    ['gap at the start', handBuiltFile(JSON.stringify({ a: entry('F32', [2], [2, 10]) }), 10), 'gap of 2 bytes between the start of the data section and tensor "a" (begins at 2)'],
    ['trailing bytes', handBuiltFile(JSON.stringify({ a: f32 }), 11), '3 trailing bytes after the last tensor (tensors end at 8, data section has 11 bytes)'],
  ];

  it.each(cases)('rejects %s', (_, bytes, message) => {
    const expected = typeof message === 'string' ? `safetensors: ${message}` : message;
    expect(() => readSafetensors(bytes)).toThrow(expected);
  });

  it('accepts what those cases would be when well-formed', () => {
    const parsed = readSafetensors(handBuiltFile(JSON.stringify({ a: f32, b: entry('F32', [2], [8, 16]), z: entry('U8', [0], [16, 16]) }), 16));
    expect(parsed.names()).toEqual(['a', 'b', 'z']);
    expect(readSafetensors(handBuiltFile('{}')).names()).toEqual([]);
  });
});

describe('safetensors from a Node Buffer', () => {
  it('reads tensors from a Buffer that is a view into a larger pool', () => {
    const file = writeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) }, b: { dtype: 'F32', shape: [2], data: new Float32Array([4, 5]) } });
    // Buffer.from(array) of a small size lands in Node's shared pool at a non-zero offset.
    const pooled = Buffer.concat([Buffer.alloc(5), Buffer.from(file)]).subarray(5);
    const read = readSafetensors(pooled);
    expect(Array.from(read.getFloat32('a'))).toEqual([1, 2, 3]);
    expect(Array.from(read.getFloat32('b'))).toEqual([4, 5]);
    expect(read.get('b').data.length).toBe(2);
  });
});

