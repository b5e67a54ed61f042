import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DATA_TYPE, encodeAttribute, encodeModel, encodeTensor, floatAttr } from '../src/onnx/onnx-proto.js';
import { encodeVarint, ProtoWriter } from '../src/onnx/protobuf.js';

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const bytesOf = (w: ProtoWriter) => [...w.finish()];
/** A negative int64 varint: ten bytes of two's complement, -1 = ff ff ff ff ff ff ff ff ff 01. */
const MINUS_ONE = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];

describe('protobuf writer (bytes computed by hand from the wire format)', () => {
  it('encodes varints: 7 bits a byte, low group first, negatives as 64-bit two\'s complement', () => {
    expect([...encodeVarint(0)]).toEqual([0x00]);
    expect([...encodeVarint(1)]).toEqual([0x01]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(2 ** 40)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect([...encodeVarint(-1)]).toEqual(MINUS_ONE);
    expect(() => encodeVarint(2 ** 60)).toThrow(/`value` must be a safe integer/);
  });

  it('writes keys (field << 3 | wire type), varint, fixed32 and length-delimited fields, nested messages', () => {
    expect(bytesOf(new ProtoWriter().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(bytesOf(new ProtoWriter().string(2, 'testing'))).toEqual([0x12, 0x07, ...ascii('testing')]);
    expect(bytesOf(new ProtoWriter().float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    const inner = new ProtoWriter().int(1, 150);
    const outer = new ProtoWriter().message(3, inner).int(20, 2);
    expect(outer.length).toBe(8);
    expect(bytesOf(outer)).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01, 0xa0, 0x01, 0x02]);
  });

  it('encodes ONNX attributes (name 1, type 20, i 3, f 2, ints 8) and tensors (dims 1, data_type 2, name 8, raw_data 9)', () => {
    expect(bytesOf(encodeAttribute('axis', -1))).toEqual([0x0a, 0x04, ...ascii('axis'), 0xa0, 0x01, 0x02, 0x18, ...MINUS_ONE]);
    expect(bytesOf(encodeAttribute('pads', [1, 0]))).toEqual([0x0a, 0x04, ...ascii('pads'), 0xa0, 0x01, 0x07, 0x40, 0x01, 0x40, 0x00]);
    expect(bytesOf(encodeAttribute('alpha', floatAttr(0.5)))).toEqual([0x0a, 0x05, ...ascii('alpha'), 0xa0, 0x01, 0x01, 0x15, 0x00, 0x00, 0x00, 0x3f]);
    expect(bytesOf(encodeAttribute('mode', 'constant'))).toEqual([0x0a, 0x04, ...ascii('mode'), 0xa0, 0x01, 0x03, 0x22, 0x08, ...ascii('constant')]);
    const raw = new Uint8Array(Float32Array.of(1, -2).buffer);
    const tensor = encodeTensor({ name: 'w', dims: [2], dataType: DATA_TYPE.float, raw });
    expect(bytesOf(tensor)).toEqual([0x08, 0x02, 0x10, 0x01, 0x42, 0x01, ...ascii('w'), 0x4a, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
  });

  it('writes a ModelProto that onnxruntime-node loads and runs: y = relu(x) + w', async () => {
    const bytes = encodeModel({
      irVersion: 7,
      opset: 13,
      producerName: 'test',
      producerVersion: '0',
      graph: {
        name: 'g',
        nodes: [
          { opType: 'Relu', name: 'relu', inputs: ['x'], outputs: ['r'], attributes: {} },
          { opType: 'Add', name: 'add', inputs: ['r', 'w'], outputs: ['y'], attributes: {} },
        ],
        initializers: [{ name: 'w', dims: [3], dataType: DATA_TYPE.float, raw: new Uint8Array(Float32Array.of(10, 20, 30).buffer) }],
        inputs: [{ name: 'x', elemType: DATA_TYPE.float, dims: ['n', 3] }],
        outputs: [{ name: 'y', elemType: DATA_TYPE.float, dims: ['n', 3] }],
      },
    });
    const session = await ort.InferenceSession.create(bytes);
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2, -3, 4, -5, 6), [2, 3]) });
    expect([...(y?.data as Float32Array)]).toEqual([10, 22, 30, 14, 20, 36]);
    await session.release();
  });
});
