import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { createModel, exportOnnx, getModelInfo, type ExportOnnxOptions } from '../../src/index.js';
import { onnxModelOf } from '../../src/onnx/export.js';
import { encodeModel } from '../../src/onnx/onnx-proto.js';
import { randomizeBatchNorms } from '@netblocks/test-utils';

import * as ort from 'onnxruntime-node';
import { maxRelativeDifference } from '@netblocks/test-utils';

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
 * Builds registered model `name` at a small input (VGG: its 224 px), gives its BatchNorms trained-like
 * statistics, exports it and checks the graph's shape (NCHW from the input on: one Transpose, one
 * more where TF.js's element order matters, for Mixer's tokens and VGG's Flatten; no Pad feeding a
 * Conv, whose own pads absorb it); returns the worst relative difference between onnxruntime-node's
 * output and `model.predict` over a batch of `batch`.
 */
export async function exportedModelDifference(name: string, batch: number): Promise<number> {
  const info = getModelInfo(name);
  const size = info.topInputSize ?? Math.max(64, info.minInputSize);
  const model = createModel(name, { numClasses: 10, inputShape: [size, size, 3] });
  randomizeBatchNorms(model);
  const x = tf.randomNormal([batch, size, size, 3]);
  const onnx = onnxModelOf(model);
  const transposes = onnx.graph.nodes.filter((n) => n.opType === 'Transpose').length;
  expect(transposes).toBe(TRANSPOSES[info.family] ?? 1);
  const padded = new Set(onnx.graph.nodes.filter((n) => n.opType === 'Pad').flatMap((n) => n.outputs));
  expect(onnx.graph.nodes.some((n) => n.opType === 'Conv' && padded.has(n.inputs[0] as string))).toBe(false);
  const session = await onnxSession(encodeModel(onnx));
  const diff = await sessionVersusTfjs(session, model, x);
  await session.release();
  x.dispose();
  model.dispose();
  return diff;
}
