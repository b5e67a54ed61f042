import * as tf from '@tensorflow/tfjs';

/** Backends netblocks knows how to pick. `tensorflow` is tfjs-node's native backend. */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The optional package that provides each backend when it is not in the `@tensorflow/tfjs` bundle. */
const BACKEND_PACKAGES: Partial<Record<BackendName, string>> = {
  tensorflow: '@tensorflow/tfjs-node',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
};

export interface InitBackendOptions {
  /** Where the choice is reported. Default `console.info`; pass `() => {}` for silence. */
  log?: (message: string) => void;
}

/** What `initBackend` chose, and why the ones before it were passed over. */
export interface BackendChoice {
  name: BackendName;
  skipped: { name: BackendName; reason: string }[];
}

/** True in Node.js (and not in a browser or a web worker). */
export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** The default order: tfjs-node, wasm, cpu in Node; webgpu, webgl, wasm, cpu in a browser. */
export function defaultBackendOrder(): BackendName[] {
  return isNode() ? ['tensorflow', 'wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu'];
}

async function tryBackend(name: BackendName): Promise<string | null> {
  const pkg = BACKEND_PACKAGES[name];
  if (pkg && tf.findBackendFactory(name) === null) {
    try {
      // A computed specifier keeps bundlers from trying to resolve optional packages.
      await import(/* @vite-ignore */ pkg);
    } catch {
      return `${pkg} is not installed`;
    }
  }
  if (tf.findBackendFactory(name) === null) return 'not registered';
  try {
    return (await tf.setBackend(name)) ? null : 'failed to initialize';
  } catch (err) {
    return `failed to initialize: ${(err as Error).message}`;
  }
}

/**
 * Selects the fastest TF.js backend available, in `preference` order (default:
 * `defaultBackendOrder()`), and reports which one it picked.
 */
export async function initBackend(
  preference?: BackendName | BackendName[],
  options: InitBackendOptions = {},
): Promise<BackendChoice> {
  const order = preference === undefined ? defaultBackendOrder() : Array.isArray(preference) ? preference : [preference];
  const known: BackendName[] = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];
  for (const name of order) {
    if (!known.includes(name)) throw new Error(`initBackend: unknown backend (got preference=${JSON.stringify(name)})`);
  }
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === null) {
      await tf.ready();
      const why = skipped.length ? ` (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : '';
      (options.log ?? console.info)(`netblocks: using TF.js backend "${name}"${why}`);
      return { name, skipped };
    }
    skipped.push({ name, reason });
  }
  throw new Error(`initBackend: no backend could be initialized (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`);
}
