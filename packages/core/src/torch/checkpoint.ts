// PyTorch checkpoints as torch.save writes them, read without Python and without running the pickle:
//  - the zip format (torch >= 1.6): `<folder>/data.pkl` (the object, its storages as persistent ids
//    `('storage', torch.FloatStorage, key, location, numel)`), `<folder>/data/<key>` (each storage's
//    raw little-endian bytes), `<folder>/byteorder` (torch >= 2.1), `<folder>/version`;
//  - the legacy format (`_use_new_zipfile_serialization=False`, and files from torch < 1.6): five
//    pickles in a row (magic number, protocol version 1001, sys_info, the object, the storage keys),
//    then each storage as a little-endian int64 element count and its bytes.
// The object may be a state dict or a dict holding one (`{'state_dict': ...}`, `{'model': ...}`).

import { DTYPES, type SafetensorsDtype, type SafetensorsTensor } from '../safetensors/dtypes.js';
import { tensorToFloat32 } from '../safetensors/convert.js';
import { findTorchGlobal, isStorageType, isTensorRef } from './globals.js';
import { PyDict, PyTuple, unpickle } from './pickle.js';
import { checkTensor, readStoredTensor, type Storage, type StoredTensor } from './storage.js';
import { isZip, readZipDirectory, recordBytes } from './zip.js';

/** Which torch.save format a checkpoint is in. */
export type TorchCheckpointFormat = 'torch-zip' | 'torch-legacy';

/** Options of `readTorchCheckpoint`. */
export interface ReadTorchCheckpointOptions {
  /** The key of the top-level dict that holds the state dict (`'state_dict_ema'`). Default: the
   * top level itself when it holds tensors, else the first of `STATE_DICT_KEYS` that does. */
  key?: string;
}

/** Where a training script's checkpoint usually keeps the weights, searched in this order. */
export const STATE_DICT_KEYS: readonly string[] = ['state_dict', 'model', 'model_state_dict', 'model_state', 'module', 'net', 'network'];

const CONTEXT = 'torch checkpoint';

/** The legacy format's first bytes: PROTO 2, then LONG1 of 10 bytes holding the magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const LEGACY_PROTOCOL_VERSION = 1001;

function fail(message: string): never {
  throw new Error(`${CONTEXT}: ${message}`);
}

/** Whether `bytes` starts like a legacy-format torch.save file. */
export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  return bytes.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => bytes[i] === b);
}

/** A persistent id `('storage', StorageType, key, location, numel[, view_metadata])`, checked. */
function parseStorageId(pid: unknown): { dtype: SafetensorsDtype; key: string; numel: number; view: unknown } {
  const items = pid instanceof PyTuple ? pid.items : undefined;
  if (!items || items[0] !== 'storage' || items.length < 5) throw new Error(`expected ('storage', type, key, location, size), got ${String(pid)}`);
  const [, type, key, , numel, view] = items;
  if (!isStorageType(type)) throw new Error(`storage type ${String(type)} is not a torch storage class`);
  if (typeof key !== 'string') throw new Error('the storage key must be a string');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new Error(`storage "${key}" has size ${String(numel)}`);
  return { dtype: type.storageDtype, key, numel, view };
}

/** A parsed checkpoint: the state dict's tensors by name, read lazily from the caller's bytes. */
export class TorchCheckpoint {
  /** The keys leading from the top level to the state dict (`[]` at the top, `['state_dict']`, ...). */
  readonly stateDictPath: readonly string[];
  /** Entries of the state dict that are not tensors, which are left out (`_extra_state`, ...). */
  readonly skipped: readonly string[];
  private readonly tensors: ReadonlyMap<string, StoredTensor>;

  constructor(
    readonly format: TorchCheckpointFormat,
    root: unknown,
    resolveStorage: (storage: unknown, name: string) => Storage,
    options: ReadTorchCheckpointOptions,
  ) {
    const { dict, path } = findStateDict(root, options.key);
    const tensors = new Map<string, StoredTensor>();
    const skipped: string[] = [];
    for (const [key, value] of dict.entries()) {
      if (typeof key !== 'string') fail(`the state dict has a key that is not a string (${String(key)})`);
      if (!isTensorRef(value)) {
        skipped.push(key);
        continue;
      }
      try {
        tensors.set(key, checkTensor(key, value, resolveStorage(value.storage, key)));
      } catch (error) {
        fail((error as Error).message);
      }
    }
    this.stateDictPath = path;
    this.skipped = skipped;
    this.tensors = tensors;
  }

  /** The state dict's tensor names, in the file's order. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The dtype and shape of tensor `name`. */
  info(name: string): { dtype: SafetensorsDtype; shape: number[]; byteLength: number } {
    const tensor = this.tensor(name);
    const numel = tensor.shape.reduce((n, d) => n * d, 1);
    return { dtype: tensor.storage.dtype, shape: [...tensor.shape], byteLength: numel * DTYPES[tensor.storage.dtype].byteSize };
  }

  /** Tensor `name` as stored, row-major in a fresh array (F16/BF16 as 16-bit patterns, I64 as bigints). */
  get(name: string): SafetensorsTensor {
    return readStoredTensor(this.tensor(name));
  }

  /** Tensor `name` as float32 (F16/BF16 exactly, F64 rounded, I64 within ±2^53). */
  getFloat32(name: string): Float32Array {
    try {
      return tensorToFloat32(this.get(name), name);
    } catch (error) {
      fail((error as Error).message);
    }
  }

  private tensor(name: string): StoredTensor {
    const tensor = this.tensors.get(name);
    if (!tensor) fail(`no tensor named "${name}" (the state dict has ${this.tensors.size} tensors)`);
    return tensor;
  }
}

/** `value` when it is a dict with at least one tensor in it. */
function tensorDict(value: unknown): PyDict | undefined {
  return value instanceof PyDict && [...value.entries()].some(([, v]) => isTensorRef(v)) ? value : undefined;
}

function findStateDict(top: unknown, key: string | undefined): { dict: PyDict; path: string[] } {
  if (!(top instanceof PyDict)) fail(`the checkpoint holds ${Object.prototype.toString.call(top)}, not a dict of tensors`);
  const root: PyDict = top;
  const keys = () => [...root.entries()].map(([k]) => String(k)).slice(0, 12).join(', ');
  if (key !== undefined) {
    const inner = tensorDict(root.get(key));
    if (!inner) fail(`\`key\` "${key}" is not a dict of tensors in this checkpoint (its top-level keys: ${keys()})`);
    return { dict: inner, path: [key] };
  }
  if (tensorDict(root)) return { dict: root, path: [] };
  for (const candidate of STATE_DICT_KEYS) {
    const inner = root.get(candidate);
    const found = tensorDict(inner);
    if (found) return { dict: found, path: [candidate] };
    if (!(inner instanceof PyDict)) continue;
    for (const nested of STATE_DICT_KEYS) {
      const deeper = tensorDict(inner.get(nested));
      if (deeper) return { dict: deeper, path: [candidate, nested] };
    }
  }
  fail(`no state dict in the checkpoint: its top-level keys are ${keys()} and none of ${STATE_DICT_KEYS.join(', ')} holds tensors (pass \`key\`)`);
}

function readZipCheckpoint(bytes: Uint8Array, options: ReadTorchCheckpointOptions): TorchCheckpoint {
  const records = readZipDirectory(bytes);
  const pickles = [...records.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name) || name === 'data.pkl');
  if (pickles.length !== 1) fail(`a torch.save archive has one <folder>/data.pkl; this one has ${pickles.length} (records: ${[...records.keys()].slice(0, 8).join(', ')})`);
  const prefix = (pickles[0] as string).slice(0, -'data.pkl'.length);
  const byteorder = records.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(recordBytes(bytes, byteorder));
    if (order !== 'little') fail(`the checkpoint was saved on a ${order}-endian machine; only little-endian checkpoints are read`);
  }
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    const { dtype, key, numel } = parseStorageId(pid);
    const known = storages.get(key);
    if (known) return known;
    const record = records.get(`${prefix}data/${key}`);
    if (!record) throw new Error(`storage "${key}" has no record ${prefix}data/${key} in the archive`);
    const expected = numel * DTYPES[dtype].byteSize;
    if (record.size !== expected) throw new Error(`storage "${key}" holds ${numel} ${dtype} elements (${expected} bytes) but its record has ${record.size} bytes`);
    const storage = { key, dtype, numel, bytes: recordBytes(bytes, record) };
    storages.set(key, storage);
    return storage;
  };
  const { value } = unpickle(recordBytes(bytes, records.get(pickles[0] as string) as NonNullable<ReturnType<typeof records.get>>), {
    findGlobal: findTorchGlobal,
    persistentLoad,
    context: CONTEXT,
  });
  return new TorchCheckpoint('torch-zip', value, (storage, name) => asStorage(storage, name), options);
}

function asStorage(value: unknown, name: string): Storage {
  const storage = value as Storage;
  if (typeof storage !== 'object' || storage === null || !(storage.bytes instanceof Uint8Array)) throw new Error(`tensor "${name}" does not view a saved storage`);
  return storage;
}

/** A legacy storage before its bytes are read: the persistent id's facts, and views into it. */
interface LegacyStorage {
  key: string;
  dtype: SafetensorsDtype;
  numel: number;
  bytes?: Uint8Array;
}

/** A view into a legacy storage (`view_metadata = (view_key, offset, size)`). */
interface LegacyView {
  root: LegacyStorage;
  offset: number;
  numel: number;
}

function readLegacyCheckpoint(bytes: Uint8Array, options: ReadTorchCheckpointOptions): TorchCheckpoint {
  const plain = { findGlobal: findTorchGlobal, context: CONTEXT };
  const magic = unpickle(bytes, plain);
  const protocol = unpickle(bytes, plain, magic.end);
  if (protocol.value !== LEGACY_PROTOCOL_VERSION) fail(`legacy protocol version ${String(protocol.value)}, expected ${LEGACY_PROTOCOL_VERSION}`);
  const sysInfo = unpickle(bytes, plain, protocol.end);
  if (sysInfo.value instanceof PyDict && sysInfo.value.get('little_endian') === false) fail('the checkpoint was saved on a big-endian machine; only little-endian checkpoints are read');

  const roots = new Map<string, LegacyStorage>();
  const persistentLoad = (pid: unknown): LegacyStorage | LegacyView => {
    const { dtype, key, numel, view } = parseStorageId(pid);
    let root = roots.get(key);
    if (!root) roots.set(key, (root = { key, dtype, numel }));
    else if (root.dtype !== dtype || root.numel !== numel) throw new Error(`storage "${key}" is described twice, differently`);
    if (view === null || view === undefined) return root;
    const items = view instanceof PyTuple ? view.items : [];
    const [, offset, size] = items;
    if (typeof offset !== 'number' || typeof size !== 'number' || offset < 0 || size < 0 || offset + size > numel) {
      throw new Error(`a view of storage "${key}" (${numel} elements) has offset ${String(offset)} and size ${String(size)}`);
    }
    return { root, offset, numel: size };
  };
  const object = unpickle(bytes, { ...plain, persistentLoad }, sysInfo.end);
  const keyList = unpickle(bytes, plain, object.end);
  if (!Array.isArray(keyList.value) || !keyList.value.every((k) => typeof k === 'string')) fail('the legacy storage key list is not a list of strings');

  // The storages' data follows, in the key list's order: int64 element count, then the bytes.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keyList.end;
  for (const key of keyList.value as string[]) {
    const storage = roots.get(key);
    if (!storage) fail(`the key list names storage "${key}", which no tensor uses`);
    if (at + 8 > bytes.length) fail(`storage "${key}": its length at byte ${at} is past the end of the ${bytes.length}-byte file (truncated?)`);
    const count = view.getBigInt64(at, true);
    if (count !== BigInt(storage.numel)) fail(`storage "${key}" is described with ${storage.numel} elements but its data says ${count}`);
    const length = storage.numel * DTYPES[storage.dtype].byteSize;
    if (at + 8 + length > bytes.length) fail(`storage "${key}" (${length} bytes at byte ${at + 8}) runs past the end of the ${bytes.length}-byte file (truncated?)`);
    storage.bytes = bytes.subarray(at + 8, at + 8 + length);
    at += 8 + length;
  }
  const resolve = (value: unknown, name: string): Storage => {
    const ref = value as Partial<LegacyView & LegacyStorage>;
    const root = (ref.root ?? ref) as LegacyStorage;
    if (!root || typeof root.key !== 'string' || !roots.has(root.key)) throw new Error(`tensor "${name}" does not view a saved storage`);
    if (!root.bytes) throw new Error(`tensor "${name}": storage "${root.key}" has no data in the file`);
    if (!ref.root) return root as Storage;
    const size = DTYPES[root.dtype].byteSize;
    const offset = ref.offset as number;
    const numel = ref.numel as number;
    return { key: `${root.key}[${offset}:${offset + numel}]`, dtype: root.dtype, numel, bytes: root.bytes.subarray(offset * size, (offset + numel) * size) };
  };
  return new TorchCheckpoint('torch-legacy', object.value, resolve, options);
}

/**
 * Reads a PyTorch checkpoint held in memory: a `torch.save` zip archive (`.pth`, `.pt`,
 * `pytorch_model.bin`) or a legacy-format file. The pickle is read by a restricted unpickler that
 * knows only the globals a state dict needs (OrderedDict, the tensor and parameter rebuilders, the
 * storage classes, `torch.Size`, `_codecs.encode`); any other is refused with an error naming it,
 * and nothing in the file is ever executed. Every length, offset and stride is checked against the
 * bytes given. Tensor data stays in `bytes` until asked for.
 */
export function readTorchCheckpoint(bytes: Uint8Array | ArrayBuffer, options: ReadTorchCheckpointOptions = {}): TorchCheckpoint {
  const view = bytes instanceof Uint8Array ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  if (isZip(view)) return readZipCheckpoint(view, options);
  if (isLegacyTorchFile(view)) return readLegacyCheckpoint(view, options);
  fail('not a torch.save file: neither a zip archive (PK\\x03\\x04) nor a legacy pickle (its magic number)');
}
