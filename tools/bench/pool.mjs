#!/usr/bin/env node
// Inference-pool throughput: MobileNetV2-1.0 at 224x224, batch 16, wasm backend. Three candidates
// on the same weights, all optimized for inference (the pool's workers run `optimizeForInference`
// by default): `predict` on the main thread (one wasm instance, the in-process baseline),
// `createInferencePool` with 1 worker and with 2 workers. After warm-up they run
// interleaved, one batch each per round, so that load from other processes lands on all of them
// alike; median ms per batch, images/s, and the ratios to the 1-worker pool. The target is
// 2 workers >= 1.7x one worker on a 2-core machine. The load average is recorded beside the
// numbers, since other processes on the same cores lower the 2-worker figure.
//   node tools/bench/pool.mjs [--model mobilenetv2_100] [--batch 16] [--size 224] [--rounds 7]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '@netblocks/core/node';
import { createModel, optimizeForInference } from '@netblocks/models';
import { createInferencePool } from '@netblocks/models/node';
import { machine, markdownTable, useBackend } from './harness.mjs';

const args = process.argv.slice(2);
const option = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const name = option('--model', 'mobilenetv2_100');
const batch = Number(option('--batch', '16'));
const size = Number(option('--size', '224'));
const rounds = Number(option('--rounds', '7'));
const warmup = 2;

await useBackend('wasm');
const model = createModel(name, { inputShape: [size, size, 3] });
const dir = mkdtempSync(join(tmpdir(), 'netblocks-bench-pool-'));
await saveModel(model, join(dir, 'model'));
const optimized = optimizeForInference(model);
const pools = [await createInferencePool(join(dir, 'model'), { workers: 1 }), await createInferencePool(join(dir, 'model'), { workers: 2 })];
rmSync(dir, { recursive: true, force: true });

const x = tf.randomUniform([batch, size, size, 3], -1, 1);
const candidates = [
  ['optimized model.predict on the main thread', async () => {
    const y = optimized.predict(x);
    await y.data();
    y.dispose();
  }],
  ['pool, 1 worker', async () => (await pools[0].predict(x)).dispose()],
  ['pool, 2 workers', async () => (await pools[1].predict(x)).dispose()],
];

const loadBefore = loadavg()[0];
const times = candidates.map(() => []);
for (let round = 0; round < warmup + rounds; round++) {
  for (const [i, [, run]] of candidates.entries()) {
    const start = performance.now();
    await run();
    if (round >= warmup) times[i].push(performance.now() - start);
  }
}
const loadAfter = loadavg()[0];
await Promise.all(pools.map((pool) => pool.close()));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const medians = times.map(median);
const oneWorker = medians[1];
const rows = candidates.map(([label], i) => [
  label,
  medians[i].toFixed(0),
  ((batch * 1000) / medians[i]).toFixed(1),
  `${(oneWorker / medians[i]).toFixed(2)}x`,
]);
const ratio = oneWorker / medians[2];
const table = markdownTable(['candidate', 'ms / batch', 'images/s', 'throughput vs 1 worker'], rows);
// With CPU affinity set (taskset), the process may use fewer CPUs than the machine has.
const usable = availableParallelism() < cpus().length ? `${availableParallelism()} of the ${cpus().length} CPUs usable (affinity)` : `${cpus().length} CPUs usable`;
const load = `load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after; ${usable}`;
const verdict = `2 workers / 1 worker: ${ratio.toFixed(2)}x (target >= 1.7x: ${ratio >= 1.7 ? 'met' : 'NOT met'})`;
console.log(`${table}\n\n${verdict}\n${load}`);

const markdown = `# Inference pool throughput

${machine()}. ${name} at ${size}x${size}, batch ${batch}, wasm backend in every thread, one wasm instance
per thread; same weights for every candidate, each optimized with \`optimizeForInference\`. ${warmup} warm-up rounds, then ${rounds} rounds interleaved
(one batch per candidate per round); median ms per batch. ${load}.

${table}

${verdict}.
`;
writeFileSync(new URL('./results/pool.md', import.meta.url), markdown);
