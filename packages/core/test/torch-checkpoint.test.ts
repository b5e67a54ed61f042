// The torch.save reader against files torch.save wrote (tools/fixtures/make_pretrained_fixtures.py,
// Debian's torch 1.13): both formats, every storage dtype, views into one storage, nested dicts; and
// against hostile and broken files, each of which must be one clear Error with nothing executed.
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readTensorFile, detectTensorFileFormat } from '../src/tensor-file.js';
import { readTorchCheckpoint } from '../src/torch/checkpoint.js';
import { writeSafetensors } from '../src/safetensors/write.js';
import type { PyTuple} from '../src/torch/pickle.js';
import { PyDict, unpickle } from '../src/torch/pickle.js';
import { findTorchGlobal } from '../src/torch/globals.js';
import { crc32 } from '../src/torch/crc32.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/torch/${name}`, import.meta.url))));

interface Expected {
  dtype: string;
  shape: number[];
  values: number[];
  contiguous: boolean;
}
const EXPECTED = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/torch/state_dict.expected.json', import.meta.url)), 'utf8')) as Record<string, Expected>;
const TORCH_DTYPES: Record<string, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL' };

describe.each(['state_dict.pth', 'state_dict_legacy.pth'])('%s (written by torch.save)', (file) => {
  const checkpoint = readTensorFile(fixture(file));

  it('is told apart by its bytes', () => {
    expect(checkpoint.format).toBe(file.includes('legacy') ? 'torch-legacy' : 'torch-zip');
    expect(detectTensorFileFormat(fixture(file))).toBe(checkpoint.format);
  });

  it('has every tensor, in order, with its dtype and shape', () => {
    expect(checkpoint.names()).toEqual(Object.keys(EXPECTED));
    for (const [name, want] of Object.entries(EXPECTED)) {
      expect(checkpoint.info(name), name).toMatchObject({ dtype: TORCH_DTYPES[want.dtype], shape: want.shape });
    }
  });

  it("gives PyTorch's values: floats widened exactly, views and transposes of a shared storage in row-major order", () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const values = Array.from(checkpoint.getFloat32(name));
      expect(values, name).toEqual(want.values.map((v) => Math.fround(Number(v))));
    }
    expect(EXPECTED.transpose?.contiguous).toBe(false);
  });

  it('keeps int64 exact (2^40) and bools as bytes', () => {
    const ints = checkpoint.get('i64');
    expect(ints.dtype).toBe('I64');
    expect(Array.from(ints.data as BigInt64Array)).toEqual([0n, -3n, 2n ** 40n, 7n]);
    expect(Array.from(checkpoint.get('bool').data as Uint8Array)).toEqual([1, 0, 1]);
  });
});

describe('state dicts inside training checkpoints', () => {
  it("finds {'state_dict': ...} and leaves the rest (epoch, optimizer) alone", () => {
    const checkpoint = readTorchCheckpoint(fixture('nested.pth'));
    expect(checkpoint.stateDictPath).toEqual(['state_dict']);
    expect(checkpoint.names()).toEqual(['conv.weight', 'conv.bias']);
  });

  it("finds {'model': ...}, and `key` picks another dict ('model_ema')", () => {
    expect(readTorchCheckpoint(fixture('ema.pth')).stateDictPath).toEqual(['model']);
    const ema = readTorchCheckpoint(fixture('ema.pth'), { key: 'model_ema' });
    expect(Array.from(ema.getFloat32('conv.weight'))).toEqual([0.5, 0.5]);
    expect(() => readTorchCheckpoint(fixture('ema.pth'), { key: 'nope' })).toThrow(/`key` "nope" is not a dict of tensors.*model, model_ema/);
  });
});

describe('hostile and broken files: one clear error each, nothing executed', () => {
  const marker = path.join(os.tmpdir(), `netblocks-pwned-${process.pid}`);
  afterEach(() => {
    delete process.env.NETBLOCKS_PWNED;
  });

  it("refuses a __reduce__ to os.system by name, and the command does not run", () => {
    process.env.NETBLOCKS_PWNED = marker;
    expect(() => readTensorFile(fixture('reduce_system.pth'))).toThrow(/global 'posix\.system'.*refused, nothing was executed/);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses an unknown global by name', () => {
    expect(() => readTensorFile(fixture('unknown_global.pth'))).toThrow(/global '__main__\.Payload'/);
  });

  it('says a truncated zip is truncated', () => {
    expect(() => readTensorFile(fixture('truncated.pth'))).toThrow(/truncated/);
  });

  it('says a truncated legacy file is truncated', () => {
    expect(() => readTensorFile(fixture('legacy_truncated.pth'))).toThrow(/runs past the end of the 1911-byte file \(truncated\?\)/);
  });

  it('refuses a storage offset past the end of its storage', () => {
    expect(() => readTensorFile(fixture('offset_past_end.pth'))).toThrow(/tensor "slice" .* offset 200\) reaches element 203 of storage "0", which has 12 elements/);
  });

  it('refuses a storage that claims 2^40 elements, before allocating anything', () => {
    expect(() => readTensorFile(fixture('size_lie.pth'))).toThrow(/holds 1099511627776 F32 elements .* but its record has 48 bytes/);
  });

  it('refuses a record whose bytes do not match its CRC-32', () => {
    const bytes = fixture('state_dict.pth').slice();
    // The first storage record: flip one byte of its data.
    const checkpoint = readTorchCheckpoint(bytes);
    expect(checkpoint.names().length).toBeGreaterThan(0);
    const at = Buffer.from(bytes).indexOf(Buffer.from('archive/data/0'));
    const dataStart = at + 'archive/data/0'.length + new DataView(bytes.buffer).getUint16(at - 2, true);
    bytes[dataStart + 3] = (bytes[dataStart + 3] as number) ^ 0xff;
    expect(() => readTensorFile(bytes)).toThrow(/record "archive\/data\/0" is corrupt \(its CRC-32/);
  });

  it('refuses a compressed record (torch.save stores records uncompressed)', () => {
    const bytes = fixture('state_dict.pth').slice();
    const view = new DataView(bytes.buffer);
    const directory = Buffer.from(bytes).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    view.setUint16(directory + 10, 8, true);
    expect(() => readTensorFile(bytes)).toThrow(/is compressed \(method 8\)/);
  });

  it('every truncation of a checkpoint is an Error, never a crash or a hang', () => {
    for (const file of ['state_dict.pth', 'state_dict_legacy.pth']) {
      const bytes = fixture(file);
      for (let length = 0; length < bytes.length; length += 7) {
        expect(() => readTensorFile(bytes.subarray(0, length)), `${file} cut at ${length}`).toThrow(Error);
      }
    }
  });

  it('random byte flips in the pickle end in a value or an Error, never a crash', () => {
    const original = fixture('state_dict_legacy.pth');
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 300; trial++) {
      const bytes = original.slice();
      for (let flips = 0; flips < 3; flips++) bytes[Math.floor(random() * 1000)] = Math.floor(random() * 256);
      try {
        const file = readTensorFile(bytes);
        for (const name of file.names()) file.getFloat32(name);
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
      }
    }
  });

  it('names what was looked for when the bytes are no weights file at all', () => {
    expect(() => readTensorFile(new TextEncoder().encode('<html>404</html>'))).toThrow(/not a weights file: neither safetensors.*first bytes: 3c 68 74 6d/);
    expect(() => readTensorFile(new Uint8Array(0))).toThrow('not a weights file: it is 0 bytes, too short for safetensors or torch.save');
  });

  it('still reads safetensors', () => {
    const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
    expect(readTensorFile(bytes).format).toBe('safetensors');
    expect(Array.from(readTensorFile(bytes).getFloat32('w'))).toEqual([1, 2]);
  });
});

describe('the restricted unpickler', () => {
  const options = { findGlobal: findTorchGlobal };
  const bytes = (...parts: (number | string)[]) =>
    new Uint8Array(parts.flatMap((p) => (typeof p === 'number' ? [p] : Array.from(new TextEncoder().encode(p)))));

  it('reads protocol-0 text opcodes, the memo and nested containers', () => {
    // (dp0\nS'a'\np1\n(lp2\nI1\naI-7\naF2.5\nasVk\u00e9y\np3\nL12345678901234567890L\ns.
    const pickle = bytes("(dp0\nS'a'\np1\n(lp2\nI1\naI-7\naF2.5\nasVk\\u00e9y\np3\nL12345678901234567890L\nsg1\nI00\ns.");
    const { value } = unpickle(pickle, options);
    expect(value).toBeInstanceOf(PyDict);
    const dict = value as PyDict;
    expect(dict.get('a')).toBe(false);
    expect(dict.get('k\u00e9y')).toBe(12345678901234567890n);
  });

  it('reads tuples, sets, bytes and LONG1 integers of protocol 2-4', () => {
    // PROTO 4, EMPTY_LIST, MARK, BININT1 1, SHORT_BINUNICODE 'x', TUPLE2 ..., APPENDS, STOP
    const pickle = bytes(0x80, 4, 0x5d, 0x28, 0x4b, 1, 0x8c, 1, 'x', 0x86, 0x43, 2, 'hi', 0x8f, 0x28, 0x4b, 9, 0x90, 0x8a, 2, 0xff, 0x7f, 0x65, 0x2e);
    const { value } = unpickle(pickle, options);
    const [pair, raw, set, long] = value as unknown[];
    expect((pair as PyTuple).items).toEqual([1, 'x']);
    expect(Array.from(raw as Uint8Array)).toEqual([104, 105]);
    expect((set as { items: unknown[] }).items).toEqual([9]);
    expect(long).toBe(0x7fff);
  });

  it('refuses opcodes a state dict never has (EXT1, NEXT_BUFFER) and protocol 6', () => {
    expect(() => unpickle(bytes(0x80, 2, 0x82, 1, 0x2e), options)).toThrow(/opcode EXT1 at byte 2 is not allowed/);
    expect(() => unpickle(bytes(0x80, 5, 0x97, 0x2e), options)).toThrow(/NEXT_BUFFER/);
    expect(() => unpickle(bytes(0x80, 6, 0x4e, 0x2e), options)).toThrow(/protocol 6/);
  });

  it('refuses calling a storage class, and INST of anything', () => {
    expect(() => unpickle(bytes('ctorch\nFloatStorage\n)R.'), options)).toThrow(/calls 'torch\.FloatStorage', which cannot be called/);
    expect(() => unpickle(bytes('(itorch\nFloatStorage\n.'), options)).toThrow(/INST of 'torch\.FloatStorage'/);
    expect(() => unpickle(bytes('(ios\nsystem\n.'), options)).toThrow(/global 'os\.system'/);
  });

  it('refuses lengths past the end without allocating them', () => {
    // BINUNICODE8 claiming 2^40 bytes.
    expect(() => unpickle(bytes(0x80, 4, 0x8d, 0, 0, 0, 0, 0, 1, 0, 0, 0x2e), options)).toThrow(/claims 1099511627776 bytes/);
    expect(() => unpickle(bytes(0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f), options)).toThrow(/truncated/);
  });

  it('refuses reading the memo before writing it and popping an empty stack', () => {
    expect(() => unpickle(bytes(0x80, 2, 0x68, 3, 0x2e), options)).toThrow(/memo entry 3 is read before it is written/);
    expect(() => unpickle(bytes(0x80, 2, 0x61, 0x2e), options)).toThrow(/pops an empty stack/);
  });
});

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
