import { DATA_TYPE, type AttributeValue, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

/**
 * How a value's axes are ordered in the ONNX graph. `'native'`: as in TF.js (NHWC for images, and
 * any tensor of another rank). `'nchw'`: a rank-4 image tensor with channels at axis 1, the
 * layout ONNX's Conv and pools take, so that runtimes use their fast kernels.
 */
export type Layout = 'native' | 'nchw';

/** NHWC -> NCHW and back, as Transpose permutations. */
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** One tensor of the TF.js graph, as it exists in the ONNX graph. */
export interface Value {
  /** ONNX name of the tensor, in `layout`. */
  readonly name: string;
  readonly layout: Layout;
  /** The TF.js shape (channels last), batch included; unknown dims are null. */
  readonly shape: ReadonlyArray<number | null>;
  /** The same tensor in the other layout, once a Transpose has made it (made at most once). */
  other?: string;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of `data` in little-endian order (ONNX's raw_data), without a copy on little-endian machines. */
function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((v: number | bigint, i: number) => {
    if (typeof v === 'bigint') view.setBigInt64(i * 8, v, true);
    else view.setFloat32(i * 4, v, true);
  });
  return out;
}

/** The ONNX graph under construction: nodes in topological order, initializers, unique names, and
 * the ops whose form depends on the opset. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  /** The `pads` of every Pad node, by its output name (for `foldPadsIntoConvs`). */
  private readonly padsOf = new Map<string, readonly number[]>();

  constructor(readonly opset: number) {}

  /** Claims `name` exactly (graph inputs and outputs); throws if it is taken. */
  reserve(name: string): string {
    if (this.names.has(name)) throw new Error(`exportOnnx: two graph inputs or outputs are named "${name}"`);
    this.names.add(name);
    return name;
  }

  /** `base`, or `base_1`, `base_2`, ... : a name no other value or node has. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Adds a node with one output named after `base`; returns the output's name. */
  node(opType: string, inputs: readonly string[], base: string, attributes: Record<string, AttributeValue> = {}): string {
    const output = this.uniqueName(base);
    this.nodes.push({ opType, name: output, inputs, outputs: [output], attributes });
    return output;
  }

  /** Adds a node whose one output is exactly `output` (a reserved graph output). */
  nodeTo(opType: string, inputs: readonly string[], output: string, attributes: Record<string, AttributeValue> = {}): void {
    this.nodes.push({ opType, name: output, inputs, outputs: [output], attributes });
  }

  /** A float32 initializer. */
  floats(base: string, data: Float32Array, dims: readonly number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`exportOnnx: initializer "${base}" has ${data.length} values for dims [${dims.join(', ')}]`);
    const name = this.uniqueName(base);
    this.initializers.push({ name, dims, dataType: DATA_TYPE.float, raw: littleEndianBytes(data) });
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads), shared by every node that uses the same values. */
  int64s(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.uniqueName(`const_i64_${values.join('_').replace(/-/g, 'm')}`);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, dims: [values.length], dataType: DATA_TYPE.int64, raw: littleEndianBytes(data) });
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant, shared. */
  scalar(value: number): string {
    const key = `f32:${value}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.uniqueName(`const_f32_${value}`.replace(/[-.]/g, (c) => (c === '-' ? 'm' : 'p')));
    this.initializers.push({ name, dims: [], dataType: DATA_TYPE.float, raw: littleEndianBytes(Float32Array.of(value)) });
    this.constants.set(key, name);
    return name;
  }

  /** `v` with channels at axis 1 (a Transpose from NHWC the first time it is asked for). */
  nchw(v: Value): string {
    if (v.layout === 'nchw') return v.name;
    if (v.shape.length !== 4) throw new Error(`exportOnnx: "${v.name}" is rank ${v.shape.length}, not an NHWC image tensor`);
    v.other ??= this.node('Transpose', [v.name], `${v.name}/nchw`, { perm: TO_NCHW });
    return v.other;
  }

  /** `v` in TF.js's own layout (a Transpose back to NHWC the first time it is asked for). */
  native(v: Value): string {
    if (v.layout === 'native') return v.name;
    v.other ??= this.node('Transpose', [v.name], `${v.name}/nhwc`, { perm: TO_NHWC });
    return v.other;
  }

  /** `v`'s name in `layout`. */
  as(v: Value, layout: Layout): string {
    return layout === 'nchw' ? this.nchw(v) : this.native(v);
  }

  /** clip(x, min, max); since opset 11 min and max are inputs. */
  clip(x: string, min: number, max: number, base: string): string {
    return this.node('Clip', [x, this.scalar(min), this.scalar(max)], base);
  }

  /** Mean over `axes`; opset 18 moved `axes` from an attribute to an input. */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean, base: string): string {
    const keep = keepdims ? 1 : 0;
    if (this.opset >= 18) return this.node('ReduceMean', [x, this.int64s(axes)], base, { keepdims: keep });
    return this.node('ReduceMean', [x], base, { axes, keepdims: keep });
  }

  /** Zero padding; `pads` is ONNX's [begin of every axis..., end of every axis...]. */
  pad(x: string, pads: readonly number[], base: string): string {
    const name = this.node('Pad', [x, this.int64s(pads)], base, { mode: 'constant' });
    this.padsOf.set(name, pads);
    return name;
  }

  /**
   * Removes every zero Pad of an NCHW tensor's height and width whose only readers are Convs
   * (ZeroPadding2D before a conv, as PyTorch-style models write it): its amounts move into the
   * Convs' `pads`, which pad with the same zeros. Pads before pools stay (a MaxPool's own pads
   * never win, an AveragePool's are not counted). Then drops initializers no node reads.
   */
  foldPadsIntoConvs(outputs: readonly string[]): void {
    const readers = new Map<string, OnnxNode[]>();
    for (const n of this.nodes) {
      for (const i of n.inputs) {
        const list = readers.get(i);
        if (list === undefined) readers.set(i, [n]);
        else list.push(n);
      }
    }
    const removed = new Set<OnnxNode>();
    for (const node of this.nodes) {
      const pads = this.padsOf.get(node.outputs[0] as string);
      const users = readers.get(node.outputs[0] as string) ?? [];
      const spatialOnly = pads !== undefined && pads.length === 8 && [0, 1, 4, 5].every((i) => pads[i] === 0);
      if (!spatialOnly || users.length === 0 || outputs.includes(node.outputs[0] as string) || !users.every((u) => u.opType === 'Conv')) continue;
      const [, , top, left, , , bottom, right] = pads as [number, number, number, number, number, number, number, number];
      for (const conv of users) {
        const [t, l, b, r] = (conv.attributes['pads'] ?? [0, 0, 0, 0]) as readonly number[];
        conv.attributes = { ...conv.attributes, pads: [(t ?? 0) + top, (l ?? 0) + left, (b ?? 0) + bottom, (r ?? 0) + right] };
        conv.inputs = conv.inputs.map((i) => (i === node.outputs[0] ? (node.inputs[0] as string) : i));
      }
      removed.add(node);
    }
    const kept = this.nodes.filter((n) => !removed.has(n));
    this.nodes.splice(0, this.nodes.length, ...kept);
    const read = new Set(kept.flatMap((n) => n.inputs));
    const used = this.initializers.filter((t) => read.has(t.name));
    this.initializers.splice(0, this.initializers.length, ...used);
  }
}

/** Axis `axis` of the TF.js (channels-last) tensor, as an axis of `v` in its ONNX layout. */
export function layoutAxis(v: Value, axis: number): number {
  const rank = v.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`exportOnnx: axis ${axis} is out of range for "${v.name}" of rank ${rank}`);
  return v.layout === 'nchw' ? ([0, 2, 3, 1][a] as number) : a;
}

/** The layout shared by several inputs of an element-wise or concatenating layer: NCHW when any
 * of them is already NCHW (and all are rank 4), otherwise native. */
export function commonLayout(values: readonly Value[]): Layout {
  return values.some((v) => v.layout === 'nchw') && values.every((v) => v.shape.length === 4) ? 'nchw' : 'native';
}
