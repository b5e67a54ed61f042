#!/usr/bin/env node
// Inference benchmark: for each model, in one run and interleaved, the plain model and the model
// from optimizeForInference on TF.js wasm, the model's ONNX export (exportOnnx) in onnxruntime-web
// (wasm, 1 thread) and onnxruntime-node (1 and 2 threads); then, for the small models, plain and
// optimized on the TF.js cpu backend (a phase of its own: moving weights between backends on every
// switch would time the moves). Batch 1 and 8; warm-up, then the median of repeated runs. Prints a
// Markdown table (ms per image, ratio to onnxruntime-web 1 thread, GFLOP/s from the MACs) and the
// issue's targets, and writes results/inference.md and results/inference.json.
//   node tools/bench/inference.mjs [--models a,b] [--batches 1,8] [--runs 5] [--no-cpu]
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { createModel, exportOnnx, optimizeForInference } from '@netblocks/models';
import { createInferenceEngine } from '@netblocks/models/node';
import '@netblocks/models/register';
import { profile } from '@netblocks/core';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { machine, markdownTable, useBackend } from './harness.mjs';
import { formatBreakdown, kernelBreakdown } from './kernels.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const MODELS = option('--models', 'mobilenetv2_100,shufflenet_v2_x1_0,efficientnet_b0,resnet50,resnext50_32x4d,repvgg_a0,mixer_b16_224').split(',');
const BATCHES = option('--batches', '1,8').split(',').map(Number);
const RUNS = Number(option('--runs', '5'));
const WITH_CPU = !args.includes('--no-cpu');
/** The cpu backend runs ~10x slower than wasm: only models under this many MACs go on it. */
const CPU_MAX_MACS = 0.5e9;

ortWeb.env.wasm.numThreads = 1;
ortWeb.env.logLevel = 'error';

/** Milliseconds of one awaited call. */
async function timeOnce(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Warm-up, then `runs` rounds over all runners in turn (interleaved); the median per runner. */
async function interleaved(runners, runs) {
  for (const r of runners) await r.run();
  const times = runners.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, r] of runners.entries()) times[j].push(await timeOnce(r.run));
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** A runner for a TF.js model: predict and read the logits back (the work is done then). */
function tfjsRunner(label, model, x) {
  return {
    label,
    run: async () => {
      const y = model.predict(x);
      await y.data();
      y.dispose();
    },
  };
}

function ortRunner(label, ort, session, x) {
  const input = new ort.Tensor('float32', x.dataSync(), x.shape);
  return { label, run: () => session.run({ [session.inputNames[0]]: input }) };
}

/** A runner for netblocks' InferenceEngine (createInferenceEngine): the tf tensor in, the output as a tf tensor, read back. */
function engineRunner(label, engine, x) {
  return {
    label,
    run: async () => {
      const y = await engine.predict(x);
      await y.data();
      y.dispose();
    },
  };
}

/** max |engine output - plain onnxruntime output| on `x`. */
async function engineDifference(engine, session, x) {
  const y = await engine.predict(x);
  const mine = await y.data();
  y.dispose();
  const { [session.outputNames[0]]: theirs } = await session.run({ [session.inputNames[0]]: new ortNode.Tensor('float32', x.dataSync(), x.shape) });
  return mine.reduce((max, v, i) => Math.max(max, Math.abs(v - theirs.data[i])), 0);
}
/** The engine's max |difference| per model and batch. */
const differences = [];

const rows = [];
const results = [];
const breakdowns = [];
for (const name of MODELS) {
  await useBackend('wasm');
  const plain = createModel(name);
  const optimized = optimizeForInference(plain);
  const macs = profile(plain).macs;
  const size = plain.inputs[0].shape[1];
  const onnx = exportOnnx(plain);
  const sessions = {
    web1: await ortWeb.InferenceSession.create(onnx, { executionProviders: ['wasm'] }),
    node1: await ortNode.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
    node2: await ortNode.InferenceSession.create(onnx, { intraOpNumThreads: 2, interOpNumThreads: 1 }),
  };
  // The native path from the model itself (its own exportOnnx: the same bytes as `onnx`), as a user calls it.
  const engine = await createInferenceEngine(plain, { engine: 'onnxruntime', threads: 1 });
  for (const batch of BATCHES) {
    const x = tf.randomNormal([batch, size, size, 3]);
    const runners = [
      tfjsRunner('tfjs wasm plain', plain, x),
      tfjsRunner('tfjs wasm optimized', optimized, x),
      ortRunner('onnxruntime-web wasm 1 thread', ortWeb, sessions.web1, x),
      ortRunner('onnxruntime-node 1 thread', ortNode, sessions.node1, x),
      // Right after its baseline, so that both follow a one-thread run: after a run, onnxruntime
      // keeps its pool threads spinning for a while, which slows whatever runs next on a busy machine.
      engineRunner('netblocks engine onnxruntime-node 1 thread', engine, x),
      ortRunner('onnxruntime-node 2 threads', ortNode, sessions.node2, x),
    ];
    const ms = await interleaved(runners, RUNS);
    runners.forEach((r, i) => results.push({ model: name, batch, runtime: r.label, ms: ms[i], macs }));
    console.error(`${name} batch ${batch}: ${runners.map((r, i) => `${r.label} ${(ms[i] / batch).toFixed(1)} ms/img`).join(', ')}`);
    differences.push({ model: name, batch, maxAbs: await engineDifference(engine, sessions.node1, x) });
    x.dispose();
  }
  // Where the optimized model's time goes (batch 1): the kernels that explain its ratio to onnxruntime-web.
  {
    const x = tf.randomNormal([1, size, size, 3]);
    breakdowns.push({ model: name, text: formatBreakdown(await kernelBreakdown(optimized, x, { top: 8 }), { title: `${name}, tfjs wasm optimized, batch 1` }) });
    x.dispose();
  }
  await Promise.all(Object.values(sessions).map((s) => s.release()));
  await engine.dispose();
  if (WITH_CPU && macs <= CPU_MAX_MACS) {
    await useBackend('cpu');
    const cpuPlain = createModel(name);
    cpuPlain.setWeights(plain.getWeights());
    const cpuOptimized = optimizeForInference(cpuPlain);
    for (const batch of BATCHES) {
      const x = tf.randomNormal([batch, size, size, 3]);
      const runners = [tfjsRunner('tfjs cpu plain', cpuPlain, x), tfjsRunner('tfjs cpu optimized', cpuOptimized, x)];
      const ms = await interleaved(runners, Math.min(RUNS, 3));
      runners.forEach((r, i) => results.push({ model: name, batch, runtime: r.label, ms: ms[i], macs }));
      console.error(`${name} batch ${batch} cpu: ${runners.map((r, i) => `${r.label} ${(ms[i] / batch).toFixed(1)} ms/img`).join(', ')}`);
      x.dispose();
    }
    cpuPlain.dispose();
    cpuOptimized.dispose();
  }
  plain.dispose();
  optimized.dispose();
}

const find = (model, batch, runtime) => results.find((r) => r.model === model && r.batch === batch && r.runtime === runtime);
for (const r of results) {
  const web = find(r.model, r.batch, 'onnxruntime-web wasm 1 thread');
  const perImage = r.ms / r.batch;
  rows.push([r.model, r.batch, r.runtime, perImage.toFixed(1), web ? (r.ms / web.ms).toFixed(2) : '—', ((2 * r.macs) / (perImage * 1e6)).toFixed(1)]);
}

// The issue's targets, read off the same run.
const targets = [];
for (const batch of BATCHES) {
  for (const name of MODELS) {
    const plain = find(name, batch, 'tfjs wasm plain');
    const opt = find(name, batch, 'tfjs wasm optimized');
    const web = find(name, batch, 'onnxruntime-web wasm 1 thread');
    if (!plain || !opt) continue;
    const ratio = opt.ms / plain.ms;
    targets.push([name, batch, 'optimized / plain (wasm) <= 0.5', ratio.toFixed(2), ratio <= 0.5 ? 'met' : 'missed']);
    if (web) {
      const vsWeb = opt.ms / web.ms;
      targets.push([name, batch, 'optimized wasm / onnxruntime-web 1 thread <= 1.0', vsWeb.toFixed(2), vsWeb <= 1 ? 'met' : 'missed']);
    }
  }
  for (const runtime of ['tfjs wasm plain', 'tfjs wasm optimized', 'onnxruntime-web wasm 1 thread', 'onnxruntime-node 1 thread']) {
    const next = find('resnext50_32x4d', batch, runtime);
    const base = find('resnet50', batch, runtime);
    if (!next || !base) continue;
    const ratio = next.ms / base.ms;
    targets.push(['resnext50_32x4d / resnet50', batch, `same runtime (${runtime}) <= 1.3`, ratio.toFixed(2), ratio <= 1.3 ? 'met' : 'missed']);
  }
  // The native path's cost over plain onnxruntime-node on the same export (tf tensor in and out), and its outputs.
  for (const name of MODELS) {
    const engine = find(name, batch, 'netblocks engine onnxruntime-node 1 thread');
    const plain = find(name, batch, 'onnxruntime-node 1 thread');
    const diff = differences.find((d) => d.model === name && d.batch === batch);
    if (!engine || !plain || !diff) continue;
    const ratio = engine.ms / plain.ms;
    targets.push([name, batch, 'engine / plain onnxruntime-node <= 1.15', ratio.toFixed(2), ratio <= 1.15 ? 'met' : 'missed']);
    targets.push([name, batch, 'max abs difference engine vs plain onnxruntime-node <= 1e-4', diff.maxAbs.toExponential(1), diff.maxAbs <= 1e-4 ? 'met' : 'missed']);
  }
}

const table = markdownTable(['model', 'batch', 'runtime', 'ms / image', 'x onnxruntime-web 1t', 'GFLOP/s'], rows);
const targetTable = markdownTable(['model', 'batch', 'target', 'measured', ''], targets);
const report = [
  '# Inference: TF.js wasm (plain, optimized), onnxruntime-web, onnxruntime-node',
  '',
  `Machine: ${machine()}; onnxruntime-node ${ortNode.env.versions?.node ?? ''}, onnxruntime-web ${ortWeb.env.versions?.web ?? ''}.`,
  `Input 224x224 (each model's default), median of ${RUNS} interleaved runs after a warm-up (cpu: ${Math.min(RUNS, 3)}); GFLOP/s = 2 x MACs / time.`,
  '',
  table,
  '',
  '## Targets',
  '',
  targetTable,
  '',
  '## Kernel breakdown (tf.profile, wasm)',
  '',
  ...breakdowns.flatMap((b) => [b.text, '']),
].join('\n');
console.log(report);
writeFileSync(new URL('./results/inference.md', import.meta.url), report);
writeFileSync(new URL('./results/inference.json', import.meta.url), JSON.stringify({ machine: machine(), results }, null, 2));
