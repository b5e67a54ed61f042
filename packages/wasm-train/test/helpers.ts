import * as tf from '@tensorflow/tfjs';

/** Deterministic values in [-1, 1) (a small LCG), so that both backends see the same numbers. */
export function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed * 7919 + 17;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = (state / 2147483648) * 2 - 1;
  }
  return out;
}

/** Runs `fn` with `backend` selected and returns its tensors' values, freeing every tensor it made. */
export async function valuesOn(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return tf.tidy(() => fn()).map((t) => {
      const data = t.dataSync() as Float32Array;
      t.dispose();
      return data;
    });
  } finally {
    await tf.setBackend(previous);
  }
}

/**
 * The dense kernel a dilated kernel stands for: `[kh, kw, C, m]` becomes
 * `[dh*(kh-1)+1, dw*(kw-1)+1, C, m]` with zeros between the taps. A dilated depthwise conv with
 * `filter` is an undilated one with the spread kernel, which the cpu backend differentiates exactly.
 */
export function spreadFilter(filter: Float32Array, [kh, kw, c, m]: readonly [number, number, number, number], [dh, dw]: [number, number]): Float32Array {
  const [sh, sw] = [dh * (kh - 1) + 1, dw * (kw - 1) + 1];
  const out = new Float32Array(sh * sw * c * m);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let k = 0; k < c * m; k++) out[(i * dh * sw + j * dw) * c * m + k] = filter[(i * kw + j) * c * m + k] as number;
    }
  }
  return out;
}

/** The taps of a spread kernel's gradient that belong to the dilated kernel (inverse of `spreadFilter`). */
export function gatherTaps(spread: Float32Array, [kh, kw, c, m]: readonly [number, number, number, number], [dh, dw]: [number, number]): Float32Array {
  const sw = dw * (kw - 1) + 1;
  const out = new Float32Array(kh * kw * c * m);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let k = 0; k < c * m; k++) out[(i * kw + j) * c * m + k] = spread[(i * dh * sw + j * dw) * c * m + k] as number;
    }
  }
  return out;
}
