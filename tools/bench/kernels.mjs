#!/usr/bin/env node
// Kernel breakdown of one predict: `tf.profile` around `model.predict(x)`, per kernel name (or per
// kernel name and input shapes) the summed kernel time, the number of calls and the fraction of
// the total. On wasm every kernel runs synchronously and `tf.profile` times it with the backend's
// `time()` (`performance.now()` around the kernel call), so `kernelTimeMs` is a plain number there
// (on webgl it may be an `{ error }` object: those kernels are counted, their time is not).
// `tf.profile` also lists the wrappers that `tf.customGrad` ops (the fused conv / matmul ops, our
// own custom-gradient ops) run through, named `xxx__op` or after the enclosing scope, with the
// time of the real kernels inside them: only kernels registered for the backend are counted.
// Each profile is repeated and the median taken per key, so one noisy run does not pick the order.
//   node tools/bench/kernels.mjs [--models a,b] [--batch 1] [--top 12] [--repeats 3] [--by name|shape] [--plain]
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { markdownTable, useBackend } from './harness.mjs';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
};

/** The key a kernel is summed under: its name, or its name and input shapes. */
const keyOf = (kernel, by) => (by === 'shape' ? `${kernel.name} ${kernel.inputShapes.map((s) => `[${s}]`).join(' ')}` : kernel.name);

/**
 * Profiles `repeats` predicts of `model` on `x` (after one warm-up) and returns the per-kernel
 * totals, largest first: `{ totalMs, wallMs, kernels: [{ name, ms, calls, fraction }] }`, where
 * `totalMs` is the median of the runs' summed kernel times, `wallMs` the median wall time of a
 * profiled predict (profiling overhead included), and each kernel's `ms` the median over the runs.
 * `top` keeps the largest `top` kernels and sums the rest into one `(other)` row; `by: 'shape'`
 * keys kernels by name and input shapes.
 */
export async function kernelBreakdown(model, x, { top = Infinity, repeats = 3, by = 'name' } = {}) {
  const predict = async () => {
    const y = model.predict(x);
    const outputs = Array.isArray(y) ? y : [y];
    await Promise.all(outputs.map((t) => t.data()));
    tf.dispose(outputs);
  };
  await predict();
  const backend = tf.getBackend();
  const registered = new Map();
  const isKernel = (name) => {
    if (!registered.has(name)) registered.set(name, tf.getKernel(name, backend) !== undefined);
    return registered.get(name);
  };
  const perRun = [];
  const walls = [];
  let untimed = 0;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const info = await tf.profile(predict);
    walls.push(performance.now() - start);
    const sums = new Map();
    for (const k of info.kernels) {
      if (!isKernel(k.name)) continue;
      const key = keyOf(k, by);
      const entry = sums.get(key) ?? { ms: 0, calls: 0 };
      if (typeof k.kernelTimeMs === 'number') entry.ms += k.kernelTimeMs;
      else untimed++;
      entry.calls++;
      sums.set(key, entry);
    }
    perRun.push(sums);
  }
  const keys = new Set(perRun.flatMap((m) => [...m.keys()]));
  let kernels = [...keys].map((name) => ({
    name,
    ms: median(perRun.map((m) => m.get(name)?.ms ?? 0)),
    calls: perRun[0].get(name)?.calls ?? 0,
  }));
  const totalMs = kernels.reduce((s, k) => s + k.ms, 0);
  kernels.sort((a, b) => b.ms - a.ms);
  if (kernels.length > top) {
    const rest = kernels.slice(top);
    kernels = [...kernels.slice(0, top), { name: `(other ${rest.length})`, ms: rest.reduce((s, k) => s + k.ms, 0), calls: rest.reduce((s, k) => s + k.calls, 0) }];
  }
  for (const k of kernels) k.fraction = totalMs > 0 ? k.ms / totalMs : 0;
  return { totalMs, wallMs: median(walls), untimedKernels: untimed, kernels };
}

/**
 * A Markdown table of a `kernelBreakdown` result: kernel, calls, ms, fraction; above it a line
 * with the kernels' total and the profiled predict's wall time (the difference is time outside
 * the kernels: tfjs-layers, the engine, profiling itself).
 */
export function formatBreakdown(breakdown, { title } = {}) {
  const head = `${title ? `${title}: ` : ''}kernels ${breakdown.totalMs.toFixed(1)} ms of a profiled predict of ${breakdown.wallMs.toFixed(1)} ms${
    breakdown.untimedKernels > 0 ? `, ${breakdown.untimedKernels} kernels without a time` : ''
  }`;
  const rows = breakdown.kernels.map((k) => [k.name, k.calls, k.ms.toFixed(1), `${(100 * k.fraction).toFixed(1)}%`]);
  return `${head}\n\n${markdownTable(['kernel', 'calls', 'ms', 'share'], rows)}`;
}

async function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const models = option('--models', 'mixer_b16_224,resnext50_32x4d,resnet50,shufflenet_v2_x1_0').split(',');
  const batch = Number(option('--batch', '1'));
  const top = Number(option('--top', '12'));
  const repeats = Number(option('--repeats', '3'));
  const by = option('--by', 'name');
  const plainToo = args.includes('--plain');
  const { createModel, optimizeForInference } = await import('@netblocks/models');
  await import('@netblocks/models/register');
  await useBackend('wasm');
  for (const name of models) {
    const plain = createModel(name);
    const optimized = optimizeForInference(plain);
    const size = plain.inputs[0].shape[1];
    const x = tf.randomNormal([batch, size, size, 3]);
    const variants = plainToo ? [['plain', plain], ['optimized', optimized]] : [['optimized', optimized]];
    for (const [label, model] of variants) {
      const breakdown = await kernelBreakdown(model, x, { top, repeats, by });
      console.log(`${formatBreakdown(breakdown, { title: `${name} ${label}, batch ${batch}, tfjs wasm` })}\n`);
    }
    x.dispose();
    plain.dispose();
    optimized.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
