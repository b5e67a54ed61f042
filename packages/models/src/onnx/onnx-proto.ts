import { ProtoWriter } from './protobuf.js';

/**
 * The ONNX messages the exporter writes, as plain objects, and their encoders. Field numbers are
 * those of onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto with TypeProto.Tensor and TensorShapeProto, OperatorSetIdProto).
 */

/** TensorProto.DataType values used here. */
export const DATA_TYPE = { float: 1, int64: 7 } as const;

/** An attribute value: an integer (INT), a list of integers (INTS), a float (`{ float }`, FLOAT),
 * a list of floats (`{ floats }`, FLOATS) or a string (STRING). */
export type AttributeValue = number | readonly number[] | { float: number } | { floats: readonly number[] } | string;

/** A float attribute (a bare number is an INT attribute). */
export function floatAttr(value: number): AttributeValue {
  return { float: value };
}

export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  dataType: number;
  /** Little-endian element bytes (TensorProto.raw_data). */
  raw: Uint8Array;
}

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, AttributeValue>>;
}

/** A graph input or output: float32 with a shape whose dims are sizes, symbolic names, or unknown (null). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: ReadonlyArray<number | string | null>;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  /** Version of the default ('ai.onnx') operator set. */
  opset: number;
  producerName: string;
  producerVersion: string;
  graph: OnnxGraph;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;

export function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`ONNX attribute "${name}": an INT attribute must be an integer (got ${value})`);
    w.int(20, ATTR_INT).int(3, value);
  } else if (typeof value === 'string') {
    w.int(20, ATTR_STRING).string(4, value);
  } else if (Array.isArray(value)) {
    w.int(20, ATTR_INTS);
    for (const v of value as readonly number[]) w.int(8, v);
  } else if ('float' in value) {
    w.int(20, ATTR_FLOAT).float(2, value.float);
  } else if ('floats' in value) {
    w.int(20, ATTR_FLOATS);
    for (const v of value.floats) w.float(7, v);
  }
  return w;
}

export function encodeTensor(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  return w.int(2, t.dataType).string(8, t.name).bytes(9, t.raw);
}

export function encodeNode(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes)) w.message(5, encodeAttribute(name, value));
  return w;
}

export function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else if (typeof d === 'string') dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

export function encodeGraph(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  return w;
}

/** The serialized ModelProto. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const opset = new ProtoWriter().string(1, '').int(2, m.opset);
  return new ProtoWriter()
    .int(1, m.irVersion)
    .string(2, m.producerName)
    .string(3, m.producerVersion)
    .message(7, encodeGraph(m.graph))
    .message(8, opset)
    .finish();
}
