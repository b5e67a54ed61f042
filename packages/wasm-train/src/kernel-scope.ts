import * as tf from '@tensorflow/tfjs';

/** The inputs and attributes one kernel call takes, as TF.js passes them to a kernel function. */
export type KernelInputs = Record<string, tf.TensorInfo>;
export type KernelAttrs = Record<string, unknown>;

/**
 * Runs other kernels of the wasm backend from inside a kernel function and frees what they made.
 * Kernel functions work on `TensorInfo`s owned by the backend, not on tensors: every intermediate
 * is disposed from the backend once the kernel is done, except the one it returns (`keep`).
 */
export class KernelScope {
  private readonly made: tf.TensorInfo[] = [];

  constructor(private readonly backend: tf.KernelBackend) {}

  /** Runs the wasm backend's kernel `name`; its output is freed at `dispose` unless kept. */
  run(name: string, inputs: KernelInputs, attrs: KernelAttrs = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, 'wasm');
    if (kernel === undefined) throw new Error(`@netblocks/wasm-train: the wasm backend has no kernel "${name}"`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    if (Array.isArray(out)) throw new Error(`@netblocks/wasm-train: kernel "${name}" returned several outputs`);
    this.made.push(out);
    return out;
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** `x[begin : begin + size]`, or `x` itself when that is all of it. */
  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    if (size.every((s, i) => begin[i] === 0 && s === x.shape[i])) return x;
    return this.run('Slice', { x }, { begin, size });
  }

  /** Sums over one axis, dropping it. */
  sum(x: tf.TensorInfo, axis: number): tf.TensorInfo {
    return this.run('Sum', { x }, { axis: [axis], keepDims: false });
  }

  /** Takes `out` out of the scope: the caller (the engine) owns it from now on. */
  keep(out: tf.TensorInfo): tf.TensorInfo {
    const index = this.made.indexOf(out);
    if (index < 0) throw new Error('@netblocks/wasm-train: a kernel must return an output it made');
    this.made.splice(index, 1);
    return out;
  }

  /** Frees every intermediate (each reshape holds its own reference, so order does not matter). */
  dispose(): void {
    for (const info of this.made) this.backend.disposeData(info.dataId);
    this.made.length = 0;
  }
}

/** Runs `body` with a fresh scope and returns what it returns, freeing everything else it made. */
export function withKernelScope(backend: unknown, body: (scope: KernelScope) => tf.TensorInfo): tf.TensorInfo {
  const scope = new KernelScope(backend as tf.KernelBackend);
  try {
    return scope.keep(body(scope));
  } finally {
    scope.dispose();
  }
}
