// The Python globals a PyTorch state dict needs, and nothing else: the model is
// `torch.load(weights_only=True)`'s allowlist, narrowed to what a checkpoint of weights holds.
// Each is a JavaScript stand-in; any other global is refused by name before anything is built.

import type { SafetensorsDtype } from '../safetensors/dtypes.js';
import { PyDict, PyTuple, type PickleGlobal } from './pickle.js';

/** A `torch.*Storage` class, as a persistent id names it: what its elements are. */
export interface StorageType extends PickleGlobal {
  readonly storageDtype: SafetensorsDtype;
}

/** The storages torch.save writes for the element types a checkpoint can hold. */
const STORAGE_DTYPES: Readonly<Record<string, SafetensorsDtype>> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
export interface TensorRef {
  readonly storage: unknown;
  /** Element offset into the storage. */
  readonly offset: number;
  readonly shape: number[];
  /** Element strides, one per dimension. */
  readonly strides: number[];
}

/** Whether `value` is a tensor the unpickler rebuilt. */
export function isTensorRef(value: unknown): value is TensorRef {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === TENSOR;
}

const TENSOR = Symbol('tensor');

function integers(value: unknown, what: string): number[] {
  const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items || !items.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${what} must be a tuple of non-negative integers (got ${String(value)})`);
  }
  return items as number[];
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: readonly unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (args.length < 4) throw new Error(`needs at least 4 arguments (got ${args.length})`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new Error(`storage offset must be a non-negative integer (got ${String(offset)})`);
  const shape = integers(size, 'size');
  const strides = integers(stride, 'stride');
  if (shape.length !== strides.length) throw new Error(`size has ${shape.length} dimensions but stride ${strides.length}`);
  return { kind: TENSOR, storage, offset, shape, strides } as TensorRef;
}

/** `_rebuild_parameter(data, requires_grad, backward_hooks[, state])`: a parameter is its data. */
function rebuildParameter(args: readonly unknown[]): unknown {
  if (!isTensorRef(args[0])) throw new Error('the data of a parameter must be a tensor');
  return args[0];
}

/** `OrderedDict()` or `OrderedDict([(key, value), ...])`. */
function orderedDict(args: readonly unknown[]): PyDict {
  const dict = new PyDict();
  const [pairs] = args;
  if (pairs === undefined) return dict;
  if (!Array.isArray(pairs)) throw new Error('takes a list of (key, value) pairs');
  for (const pair of pairs) {
    if (!(pair instanceof PyTuple) || pair.items.length !== 2) throw new Error('takes a list of (key, value) pairs');
    dict.set(pair.items[0], pair.items[1]);
  }
  return dict;
}

/** `_codecs.encode(text, encoding)`: how protocol 2 writes Python 3 bytes. */
function encode(args: readonly unknown[]): Uint8Array {
  const [text, encoding] = args;
  if (typeof text !== 'string') throw new Error('encodes a str');
  if (encoding === 'latin1' || encoding === 'latin-1') return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  if (encoding === 'utf-8' || encoding === 'utf8') return new TextEncoder().encode(text);
  throw new Error(`encoding ${JSON.stringify(encoding)} is not one a checkpoint uses`);
}

const CALLABLES: Readonly<Record<string, (args: readonly unknown[]) => unknown>> = {
  'collections.OrderedDict': orderedDict,
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_parameter': rebuildParameter,
  'torch._utils._rebuild_parameter_with_state': rebuildParameter,
  'torch.Size': (args) => (args[0] instanceof PyTuple ? args[0] : new PyTuple(integers(args[0], 'torch.Size'))),
  '_codecs.encode': encode,
};

/** Every global a checkpoint may name, for error messages. */
export const ALLOWED_GLOBALS: readonly string[] = [...Object.keys(CALLABLES), ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`)];

/** The stand-in for `module.name`, or an error naming it: the global is not one a state dict needs. */
export function findTorchGlobal(module: string, name: string): PickleGlobal {
  const qualifiedName = `${module}.${name}`;
  const call = CALLABLES[qualifiedName];
  if (call) return { qualifiedName, call };
  const storageDtype = module === 'torch' ? STORAGE_DTYPES[name] : undefined;
  if (storageDtype) return { qualifiedName, storageDtype } as StorageType;
  throw new Error(
    `the pickle asks for the global '${qualifiedName}', which a checkpoint of weights never needs: refused, nothing was executed ` +
      `(allowed: ${ALLOWED_GLOBALS.join(', ')})`,
  );
}

/** Whether `value` is one of the storage classes. */
export function isStorageType(value: unknown): value is StorageType {
  return typeof value === 'object' && value !== null && typeof (value as StorageType).storageDtype === 'string';
}
