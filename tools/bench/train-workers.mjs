#!/usr/bin/env node
// Data-parallel training benchmark: `train()` of @netblocks/cli (the API behind `netblocks train`)
// on MNIST digits padded to 32x32, 1 worker (the single-thread loop) against `--workers 2` (two
// worker threads, each on half of every batch), interleaved in the same run. Each run trains
// 2 epochs; the first warms up (wasm module, XNNPACK operators, worker start-up), the second's
// images/s is measured. Prints a Markdown table and writes it to results/train-workers.md.
// The control column is what the machine gives two threads at that moment: two independent threads
// (no communication), each training on half a batch, against one thread on the whole batch, also
// measured in this run. It is the ceiling of the speed-up (other processes may hold a core).
//   node tools/bench/train-workers.mjs [--rounds 1] [--models shufflenet_v2_x0_5,mobilenetv2_035] [--batch 64] [--per-class 64]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initTrainingBackend, train } from '@netblocks/cli';
import { createModel } from '@netblocks/models';
import { machine, markdownTable } from './harness.mjs';

/** In a control thread: ms per plain training step of `model` on `batch` random images, after warm-up. */
async function controlStepMs({ model: name, batch }) {
  await import('@netblocks/models/register');
  await initTrainingBackend('wasm');
  const model = createModel(name, { numClasses: 10, inputShape: [32, 32, 1] });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, 32, 32, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10).toFloat();
  const step = () => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true).dataSync();
  for (let i = 0; i < 5; i++) step();
  const start = performance.now();
  for (let i = 0; i < 6; i++) step();
  return (performance.now() - start) / 6;
}
if (!isMainThread) {
  parentPort.postMessage(await controlStepMs(workerData));
  await new Promise(() => {});
}

/** Images/s of `threads` independent control threads, each on `batch / threads` images. */
async function controlImagesPerSecond(model, batch, threads) {
  const times = await Promise.all(
    Array.from({ length: threads }, () => new Promise((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { model, batch: batch / threads } });
      worker.once('message', (ms) => worker.terminate().then(() => resolve(ms)));
      worker.once('error', reject);
    })),
  );
  return (1000 * batch) / Math.max(...times);
}

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? fallback : fallback);
const rounds = Number(option('--rounds', '1'));
const models = option('--models', 'shufflenet_v2_x0_5,mobilenetv2_035').split(',');
const batchSize = Number(option('--batch', '64'));
const perClass = Number(option('--per-class', '64'));
const WORKERS = [1, 2];

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const root = mkdtempSync(join(tmpdir(), 'netblocks-bench-workers-'));
const loadBefore = loadavg()[0];
const rows = [];
try {
  for (const model of models) {
    const speeds = { 1: [], 2: [] };
    for (let round = 0; round < rounds; round++) {
      for (const workers of WORKERS) {
        const result = await train({
          model,
          data: 'mnist',
          imageSize: 32,
          fit: 'pad',
          trainPerClass: perClass,
          testPerClass: 1,
          batchSize,
          epochs: 2,
          workers,
          backend: 'wasm',
          outDir: join(root, `${model}-${workers}-${round}`),
        });
        const last = result.history.at(-1);
        speeds[workers].push(last.imagesPerSecond);
        console.error(`${model}, ${workers} worker(s): ${last.imagesPerSecond.toFixed(1)} images/s (load ${loadavg()[0].toFixed(2)})`);
        result.model.dispose();
      }
    }
    const one = median(speeds[1]);
    const two = median(speeds[2]);
    const control = (await controlImagesPerSecond(model, batchSize, 2)) / (await controlImagesPerSecond(model, batchSize, 1));
    console.error(`${model}: control (2 independent threads / 1) ${control.toFixed(2)}x (load ${loadavg()[0].toFixed(2)})`);
    rows.push([model, one.toFixed(1), two.toFixed(1), `${(two / one).toFixed(2)}x`, `${control.toFixed(2)}x`]);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const loadAfter = loadavg()[0];
const table = markdownTable(['model', '1 worker images/s', '2 workers images/s', 'speed-up', 'control: 2 independent threads'], rows);
const report =
  `# Data-parallel training: 1 worker vs 2 worker threads\n\n` +
  `${machine()}, ${availableParallelism()} cores available. \`train()\` of @netblocks/cli on MNIST (${10 * perClass} training digits, ` +
  `padded to 32x32x1), batch ${batchSize}, Adam, wasm backend with @netblocks/wasm-train. 1 worker is the single-thread loop; ` +
  `2 workers split every batch in two halves, one per worker thread, and the main thread averages the gradients and takes the ` +
  `Adam step. Each run trains 2 epochs and the second is timed (images/s over the epoch, median of ${rounds} interleaved round(s)). ` +
  `Control: two independent threads (no communication) each training on half a batch against one thread on the whole batch, ` +
  `plain \`optimizer.minimize\` steps on random images, measured after the runs: the speed-up the machine allowed then. ` +
  `1-minute load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (other processes share the machine).\n\n${table}\n`;
console.log(report);
writeFileSync(new URL('./results/train-workers.md', import.meta.url), report);
