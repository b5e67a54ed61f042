// A restricted unpickler: it reads Python's pickle format (protocols 0-5) into plain JavaScript
// values and never runs anything. A pickle names callables by `module.name` (GLOBAL) and calls them
// (REDUCE); here every such name goes through `findGlobal`, which returns a JavaScript stand-in
// or refuses. So a pickle whose `__reduce__` asks for `os.system` gets an error naming
// `posix.system`, and nothing is executed. The stack machine follows CPython's Lib/pickle.py
// opcode table; lengths are checked against the bytes given before anything is read or allocated.

/** A Python tuple (lists are JavaScript arrays). */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A Python set or frozenset. */
export class PySet {
  constructor(readonly items: unknown[]) {}
}

/** A Python dict (or OrderedDict): insertion-ordered, keys as Python compares them. */
export class PyDict {
  private readonly map = new Map<unknown, [unknown, unknown]>();
  /** State a BUILD opcode set on the object (an OrderedDict's `_metadata`), if any. */
  attributes: unknown = undefined;

  /** Sets `key` (a str, int, float, bool, None, bytes or tuple of those) to `value`. */
  set(key: unknown, value: unknown): void {
    this.map.set(hashKey(key), [key, value]);
  }
  get(key: unknown): unknown {
    return this.map.get(hashKey(key))?.[1];
  }
  has(key: unknown): boolean {
    return this.map.has(hashKey(key));
  }
  get size(): number {
    return this.map.size;
  }
  /** `[key, value]` pairs in insertion order. */
  *entries(): IterableIterator<[unknown, unknown]> {
    for (const pair of this.map.values()) yield pair;
  }
}

/** A stand-in for a Python global a pickle may name: called by REDUCE/NEWOBJ when `call` is given. */
export interface PickleGlobal {
  /** `module.name`, for error messages. */
  readonly qualifiedName: string;
  call?(args: readonly unknown[]): unknown;
}

export interface UnpickleOptions {
  /** The stand-in for `module.name`, or throws to refuse it. */
  findGlobal(module: string, name: string): PickleGlobal;
  /** The object a persistent id stands for (torch: a storage). Without it, persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
  /** Prefix of every error message. Default `pickle`. */
  context?: string;
}

/** A dict key as a Map key: primitives stay, bytes and tuples become tagged strings (Python compares them by value). */
function hashKey(key: unknown): unknown {
  if (key === null || typeof key === 'string' || typeof key === 'boolean') return key;
  if (typeof key === 'number') return Number.isInteger(key) ? BigInt(key) : key;
  if (typeof key === 'bigint') return key;
  if (key instanceof Uint8Array) return `\u0000bytes:${Array.from(key).join(',')}`;
  if (key instanceof PyTuple) return `\u0000tuple:${key.items.map((item) => String(hashKey(item))).join('\u0001')}`;
  throw new Error(`unhashable dict key (${Object.prototype.toString.call(key)})`);
}

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT', 0x4b: 'BININT1',
  0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT',
  0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT', 0x80: 'PROTO',
  0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE',
  0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Little-endian two's-complement integer of `bytes`, as a number when exact, else a bigint. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] as number);
  if ((bytes[bytes.length - 1] as number) & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Python's `repr` of a str or bytes (protocol 0's STRING), without the quotes, decoded. */
function decodeEscapes(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x' || e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' } as Record<string, string>)[e] ?? `\\${e}`;
  });
}

class Machine {
  private position: number;
  private readonly stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;
  private readonly context: string;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly options: UnpickleOptions,
  ) {
    this.position = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.context = options.context ?? 'pickle';
  }

  fail(message: string): never {
    throw new Error(`${this.context}: ${message}`);
  }

  private take(length: number, what: string): Uint8Array {
    if (!(length >= 0 && this.position + length <= this.bytes.length)) {
      this.fail(`${what} at byte ${this.position} needs ${length} bytes but the pickle ends at byte ${this.bytes.length} (truncated?)`);
    }
    const out = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return out;
  }
  private u8 = (what: string) => this.take(1, what)[0] as number;
  private u16 = (what: string) => (this.take(2, what), this.view.getUint16(this.position - 2, true));
  private i32 = (what: string) => (this.take(4, what), this.view.getInt32(this.position - 4, true));
  private u32 = (what: string) => (this.take(4, what), this.view.getUint32(this.position - 4, true));
  private u64(what: string): number {
    this.take(8, what);
    const value = this.view.getBigUint64(this.position - 8, true);
    if (value > BigInt(this.bytes.length)) this.fail(`${what} claims ${value} bytes, more than the whole pickle (${this.bytes.length})`);
    return Number(value);
  }
  private line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) this.fail(`${what} at byte ${this.position} has no end of line (truncated?)`);
    const text = latin1.decode(this.bytes.subarray(this.position, end));
    this.position = end + 1;
    return text;
  }
  private text(bytes: Uint8Array, what: string): string {
    try {
      return utf8.decode(bytes);
    } catch {
      this.fail(`${what} is not valid UTF-8`);
    }
  }

  private push(value: unknown): void {
    this.stack.push(value);
  }
  private pop(opcode: string): unknown {
    if (this.stack.length === 0 || this.stack.length <= (this.marks[this.marks.length - 1] ?? -1)) this.fail(`${opcode} at byte ${this.position} pops an empty stack`);
    return this.stack.pop();
  }
  private top(opcode: string): unknown {
    if (this.stack.length === 0) this.fail(`${opcode} at byte ${this.position} needs a value on the stack`);
    return this.stack[this.stack.length - 1];
  }
  /** The values since the last MARK, removed from the stack with the mark. */
  private popMark(opcode: string): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail(`${opcode} at byte ${this.position} has no MARK before it`);
    return this.stack.splice(mark);
  }
  private memoGet(index: number): unknown {
    if (!this.memo.has(index)) this.fail(`memo entry ${index} is read before it is written`);
    return this.memo.get(index);
  }

  private global(module: string, name: string): PickleGlobal {
    try {
      return this.options.findGlobal(module, name);
    } catch (error) {
      this.fail((error as Error).message);
    }
  }
  private call(callable: unknown, args: unknown, opcode: string): unknown {
    const fn = callable as PickleGlobal | undefined;
    if (typeof fn !== 'object' || fn === null || typeof fn.call !== 'function') {
      this.fail(`${opcode} calls ${fn && typeof fn === 'object' && 'qualifiedName' in fn ? `'${fn.qualifiedName}'` : 'a value'}, which cannot be called here`);
    }
    if (!(args instanceof PyTuple)) this.fail(`${opcode} of '${fn.qualifiedName}' needs a tuple of arguments`);
    try {
      return fn.call(args.items);
    } catch (error) {
      this.fail(`'${fn.qualifiedName}': ${(error as Error).message}`);
    }
  }
  private persistent(pid: unknown): unknown {
    const load = this.options.persistentLoad;
    if (!load) this.fail('the pickle has a persistent id, which this reader does not take');
    try {
      return load(pid);
    } catch (error) {
      this.fail(`persistent id at byte ${this.position}: ${(error as Error).message}`);
    }
  }
  private setItems(target: unknown, items: unknown[], opcode: string): void {
    if (!(target instanceof PyDict)) this.fail(`${opcode} on something that is not a dict`);
    if (items.length % 2 !== 0) this.fail(`${opcode} with an odd number of items`);
    for (let i = 0; i < items.length; i += 2) {
      try {
        target.set(items[i], items[i + 1]);
      } catch (error) {
        this.fail(`${opcode}: ${(error as Error).message}`);
      }
    }
  }

  /** Runs until STOP; returns the value and the byte after STOP. */
  run(): { value: unknown; end: number } {
    for (;;) {
      const at = this.position;
      const code = this.u8('opcode');
      const op = OPCODE_NAMES[code] ?? `0x${code.toString(16)}`;
      switch (code) {
        case 0x80: {
          const protocol = this.u8('protocol');
          if (protocol > 5) this.fail(`pickle protocol ${protocol} is newer than 5`);
          break;
        }
        case 0x95:
          this.u64('FRAME length');
          break;
        case 0x2e:
          if (this.stack.length !== 1 || this.marks.length !== 0) this.fail(`STOP at byte ${at} with ${this.stack.length} values on the stack`);
          return { value: this.stack[0], end: this.position };
        case 0x28:
          this.marks.push(this.stack.length);
          break;
        case 0x30:
          if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.stack.length) this.marks.pop();
          else this.pop(op);
          break;
        case 0x31:
          this.popMark(op);
          break;
        case 0x32:
          this.push(this.top(op));
          break;
        case 0x4e:
          this.push(null);
          break;
        case 0x88:
          this.push(true);
          break;
        case 0x89:
          this.push(false);
          break;
        case 0x49: {
          const text = this.line(op);
          if (text === '00' || text === '01') this.push(text === '01');
          else if (/^[-+]?\d+$/.test(text)) this.push(Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text));
          else this.fail(`INT at byte ${at}: ${JSON.stringify(text)} is not an integer`);
          break;
        }
        case 0x4c: {
          const text = this.line(op).replace(/L$/, '');
          if (!/^[-+]?\d+$/.test(text)) this.fail(`LONG at byte ${at}: ${JSON.stringify(text)} is not an integer`);
          const value = BigInt(text);
          this.push(value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);
          break;
        }
        case 0x4a:
          this.push(this.i32(op));
          break;
        case 0x4b:
          this.push(this.u8(op));
          break;
        case 0x4d:
          this.push(this.u16(op));
          break;
        case 0x8a:
          this.push(decodeLong(this.take(this.u8(op), op)));
          break;
        case 0x8b: {
          const length = this.i32(op);
          if (length < 0) this.fail(`LONG4 at byte ${at} has a negative length`);
          this.push(decodeLong(this.take(length, op)));
          break;
        }
        case 0x46: {
          const value = Number(this.line(op));
          if (Number.isNaN(value)) this.fail(`FLOAT at byte ${at} is not a number`);
          this.push(value);
          break;
        }
        case 0x47:
          this.take(8, op);
          this.push(this.view.getFloat64(this.position - 8, false));
          break;
        case 0x53: {
          const text = this.line(op);
          const quote = text[0];
          if ((quote !== "'" && quote !== '"') || text[text.length - 1] !== quote || text.length < 2) this.fail(`STRING at byte ${at} is not quoted`);
          this.push(decodeEscapes(text.slice(1, -1)));
          break;
        }
        case 0x54: {
          const length = this.i32(op);
          if (length < 0) this.fail(`BINSTRING at byte ${at} has a negative length`);
          this.push(latin1.decode(this.take(length, op)));
          break;
        }
        case 0x55:
          this.push(latin1.decode(this.take(this.u8(op), op)));
          break;
        case 0x56:
          this.push(decodeEscapes(this.line(op)));
          break;
        case 0x58:
          this.push(this.text(this.take(this.u32(op), op), op));
          break;
        case 0x8c:
          this.push(this.text(this.take(this.u8(op), op), op));
          break;
        case 0x8d:
          this.push(this.text(this.take(this.u64(op), op), op));
          break;
        case 0x42:
          this.push(this.take(this.u32(op), op).slice());
          break;
        case 0x43:
          this.push(this.take(this.u8(op), op).slice());
          break;
        case 0x8e:
        case 0x96:
          this.push(this.take(this.u64(op), op).slice());
          break;
        case 0x5d:
          this.push([]);
          break;
        case 0x6c:
          this.push(this.popMark(op));
          break;
        case 0x61: {
          const value = this.pop(op);
          const list = this.top(op);
          if (!Array.isArray(list)) this.fail(`APPEND at byte ${at} on something that is not a list`);
          list.push(value);
          break;
        }
        case 0x65: {
          const values = this.popMark(op);
          const list = this.top(op);
          if (Array.isArray(list)) list.push(...values);
          else if (list instanceof PySet) list.items.push(...values);
          else this.fail(`APPENDS at byte ${at} on something that is not a list`);
          break;
        }
        case 0x29:
          this.push(new PyTuple([]));
          break;
        case 0x74:
          this.push(new PyTuple(this.popMark(op)));
          break;
        case 0x85:
        case 0x86:
        case 0x87: {
          const count = code - 0x84;
          const items = Array.from({ length: count }, () => this.pop(op)).reverse();
          this.push(new PyTuple(items));
          break;
        }
        case 0x7d:
          this.push(new PyDict());
          break;
        case 0x64: {
          const dict = new PyDict();
          this.setItems(dict, this.popMark(op), op);
          this.push(dict);
          break;
        }
        case 0x73: {
          const value = this.pop(op);
          const key = this.pop(op);
          this.setItems(this.top(op), [key, value], op);
          break;
        }
        case 0x75: {
          const items = this.popMark(op);
          this.setItems(this.top(op), items, op);
          break;
        }
        case 0x8f:
          this.push(new PySet([]));
          break;
        case 0x90: {
          const items = this.popMark(op);
          const set = this.top(op);
          if (!(set instanceof PySet)) this.fail(`ADDITEMS at byte ${at} on something that is not a set`);
          set.items.push(...items);
          break;
        }
        case 0x91:
          this.push(new PySet(this.popMark(op)));
          break;
        case 0x67:
          this.push(this.memoGet(Number(this.line(op))));
          break;
        case 0x68:
          this.push(this.memoGet(this.u8(op)));
          break;
        case 0x6a:
          this.push(this.memoGet(this.u32(op)));
          break;
        case 0x70:
          this.memo.set(Number(this.line(op)), this.top(op));
          break;
        case 0x71:
          this.memo.set(this.u8(op), this.top(op));
          break;
        case 0x72:
          this.memo.set(this.u32(op), this.top(op));
          break;
        case 0x94:
          this.memo.set(this.memo.size, this.top(op));
          break;
        case 0x63: {
          const module = this.line(op);
          const name = this.line(op);
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          const name = this.pop(op);
          const module = this.pop(op);
          if (typeof module !== 'string' || typeof name !== 'string') this.fail(`STACK_GLOBAL at byte ${at} needs two strings`);
          this.push(this.global(module, name));
          break;
        }
        case 0x52: {
          const args = this.pop(op);
          const callable = this.pop(op);
          this.push(this.call(callable, args, op));
          break;
        }
        case 0x81: {
          const args = this.pop(op);
          const cls = this.pop(op);
          this.push(this.call(cls, args, op));
          break;
        }
        case 0x62: {
          const state = this.pop(op);
          const target = this.top(op);
          if (target instanceof PyDict) target.attributes = state;
          else this.fail(`BUILD at byte ${at} sets state on ${Object.prototype.toString.call(target)}, which this reader does not allow`);
          break;
        }
        case 0x50:
          this.push(this.persistent(this.line(op)));
          break;
        case 0x51:
          this.push(this.persistent(this.pop(op)));
          break;
        case 0x69: {
          // INST: protocol 0's class instantiation; the class must still pass `findGlobal`, and none is callable that way.
          const module = this.line(op);
          const name = this.line(op);
          this.global(module, name);
          this.fail(`INST of '${module}.${name}' instantiates a class, which this reader does not allow`);
          break;
        }
        default:
          this.fail(`opcode ${op} at byte ${at} is not allowed in a checkpoint (nothing was executed)`);
      }
    }
  }
}

/**
 * Reads one pickle starting at `start` and returns its value and the byte after its STOP. Globals
 * go through `options.findGlobal` and persistent ids through `options.persistentLoad`; nothing
 * from the pickle is executed. Throws on malformed or truncated input.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions, start = 0): { value: unknown; end: number } {
  return new Machine(bytes, start, options).run();
}
