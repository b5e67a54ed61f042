import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { maxRelativeDifference } from '@netblocks/test-utils';
import { exportOnnx, type ExportOnnxOptions } from '../../src/index.js';

/** Transposes in a family's exported graph where it is not 1 (the input's, to NCHW). */
export const TRANSPOSES: Readonly<Record<string, number>> = { mixer: 2, vgg: 2 };

/** An ONNX Runtime session over `bytes`, on the CPU, single-threaded (tests share two cores). */
export function onnxSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

/** Runs the session on `x` (NHWC, as the TF.js model takes it); returns every output, in the model's order. */
export async function runSessionAll(session: ort.InferenceSession, x: tf.Tensor): Promise<Array<{ data: Float32Array; dims: readonly number[] }>> {
  const input = new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape);
  const results = await session.run({ [session.inputNames[0] as string]: input });
  return session.outputNames.map((name) => {
    const out = results[name];
    if (out === undefined) throw new Error(`the session gave no output "${name}"`);
    return { data: out.data as Float32Array, dims: out.dims };
  });
}

/**
 * max |onnx - tfjs| / max |tfjs| of the session's outputs on `x` against `model.predict(x)`, the
 * worst over the outputs, after checking that their shapes agree.
 */
export async function sessionVersusTfjs(session: ort.InferenceSession, model: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const onnx = await runSessionAll(session, x);
  const expected = [model.predict(x)].flat() as tf.Tensor[];
  try {
    if (onnx.length !== expected.length) throw new Error(`ONNX gave ${onnx.length} outputs, TF.js ${expected.length}`);
    return Math.max(
      ...expected.map((e, i) => {
        const o = onnx[i] as { data: Float32Array; dims: readonly number[] };
        if (o.dims.join() !== e.shape.join()) throw new Error(`output ${i}: ONNX shape [${o.dims.join(', ')}] != TF.js [${e.shape.join(', ')}]`);
        return maxRelativeDifference(o.data, e);
      }),
    );
  } finally {
    tf.dispose(expected);
  }
}

/** Exports `model` (with `options`), runs the export in onnxruntime-node on `x`, and compares with
 * `model.predict(x)` as `sessionVersusTfjs` does. */
export async function onnxVersusTfjs(model: tf.LayersModel, x: tf.Tensor, options?: ExportOnnxOptions): Promise<number> {
  const session = await onnxSession(exportOnnx(model, options));
  try {
    return await sessionVersusTfjs(session, model, x);
  } finally {
    await session.release();
  }
}

/**
 * Gives every BatchNormalization of `model` non-trivial statistics and affine parameters (a freshly
 * built model has mean 0, variance 1, gamma 1, beta 0, which would hide a wrong conversion).
 * Deterministic: values come from a fixed seed.
 */
export function randomizeBatchNorms(model: tf.LayersModel, seed = 1): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const weights = layer.getWeights();
    const fresh = tf.tidy(() =>
      layer.weights.map((w, i) => {
        const shape = (weights[i] as tf.Tensor).shape;
        const s = seed + i;
        // Variances and gammas stay positive and near 1; betas and means small.
        if (/moving_variance|gamma/.test(w.originalName)) return tf.randomUniform(shape, 0.5, 1.5, 'float32', s);
        return tf.randomNormal(shape, 0, 0.1, 'float32', s);
      }),
    );
    layer.setWeights(fresh);
    tf.dispose(fresh);
    seed += 7;
  }
}
