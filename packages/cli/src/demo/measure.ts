import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** Median wall time in ms of `predict()` with its result read back, after warm-up runs. */
export async function medianPredictMs(predict: () => tf.Tensor | Promise<tf.Tensor>, runs = 30, warmup = 5): Promise<number> {
  const once = async () => {
    const start = performance.now();
    const y = await predict();
    await y.data();
    y.dispose();
    return performance.now() - start;
  };
  for (let i = 0; i < warmup; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)] as number;
}

/** Median wall time in ms of `model.predict(x)` (with its result read back), after warm-up runs. */
export function medianLatencyMs(model: tf.LayersModel, x: tf.Tensor, runs = 30, warmup = 5): Promise<number> {
  return medianPredictMs(() => model.predict(x) as tf.Tensor, runs, warmup);
}

/** `max |a - b| / max |b|` of two models' outputs on `x`: the measure every netblocks parity check uses. */
export function maxRelativeDifference(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  const [diff, scale] = tf.tidy(() => {
    const ya = a.predict(x) as tf.Tensor;
    const yb = b.predict(x) as tf.Tensor;
    return [tf.max(tf.abs(tf.sub(ya, yb))), tf.max(tf.abs(yb))];
  });
  const result = (diff.dataSync()[0] as number) / (scale.dataSync()[0] as number);
  tf.dispose([diff, scale]);
  return result;
}

/** Total bytes of the files in `dir` (a saved model: model.json and its weight shards). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) total += (await fs.stat(path.join(dir, entry.name))).size;
  }
  return total;
}
