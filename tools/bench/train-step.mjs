#!/usr/bin/env node
// Training-step benchmark: one step (forward + backward + Adam) of small ImageNet-family nets at
// 32x32, batch 32, on the wasm backend with @netblocks/wasm-train's gradient kernels against the
// cpu backend, interleaved in the same run. Prints a Markdown table (ms/step and the speed-up of
// wasm over cpu) and writes it to results/train-step.md.
// A cpu step takes seconds to minutes (RepVGG-A0: minutes), so cpu gets fewer timed steps.
//   node tools/bench/train-step.mjs [--runs 5] [--cpu-runs 3] [--models mobilenetv2_035,repvgg_a0]
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { createModel } from '@netblocks/models';
import '@netblocks/wasm-train/register';
import { machine, markdownTable, useBackend } from './harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? fallback : fallback);
const runs = { wasm: Number(option('--runs', '5')), cpu: Number(option('--cpu-runs', '3')) };
const models = option('--models', 'mobilenetv2_035,shufflenet_v2_x0_5,repvgg_a0').split(',');
const BATCH = 32;
const SIZE = 32;
const CLASSES = 10;
const BACKENDS = ['wasm', 'cpu'];

/** One model per backend (weights live on the backend that made them), same initial weights. */
async function buildOn(backend, name, weights) {
  await useBackend(backend);
  const model = createModel(name, { numClasses: CLASSES, inputShape: [SIZE, SIZE, 3] });
  if (weights) model.setWeights(weights);
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([BATCH, SIZE, SIZE, 3], -1, 1, 'float32', 1);
  const labels = tf.oneHot(tf.randomUniform([BATCH], 0, CLASSES, 'int32', 2), CLASSES);
  return { model, optimizer, x, labels };
}

/** Milliseconds of one training step: forward, softmax cross-entropy, backward, Adam update. */
function stepMs({ model, optimizer, x, labels }) {
  const start = performance.now();
  const loss = optimizer.minimize(() => {
    const logits = model.apply(x, { training: true });
    return tf.losses.softmaxCrossEntropy(labels, logits);
  }, true);
  loss.dataSync();
  loss.dispose();
  return performance.now() - start;
}

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const rows = [];
for (const name of models) {
  const setups = {};
  try {
    setups.wasm = await buildOn('wasm', name);
  } catch (error) {
    rows.push([name, '—', '—', `refused ${SIZE}x${SIZE}: ${error.message}`]);
    console.error(`${name}: ${error.message}`);
    continue;
  }
  const weights = setups.wasm.model.getWeights().map((w) => w.arraySync());
  setups.cpu = await buildOn('cpu', name, null);
  setups.cpu.model.setWeights(weights.map((w) => tf.tensor(w)));
  const times = { wasm: [], cpu: [] };
  // One warm-up step on wasm (module set-up, XNNPACK operator creation); cpu has nothing to set
  // up and its steps take seconds, so all of them are timed. Then the timed steps, interleaved.
  for (let i = -1; i < Math.max(runs.wasm, runs.cpu); i++) {
    for (const backend of BACKENDS) {
      if (i >= runs[backend] || (i < 0 && backend === 'cpu')) continue;
      await useBackend(backend);
      const ms = stepMs(setups[backend]);
      if (i >= 0) times[backend].push(ms);
    }
  }
  const wasmMs = median(times.wasm);
  const cpuMs = median(times.cpu);
  rows.push([name, wasmMs.toFixed(1), cpuMs.toFixed(1), `${(cpuMs / wasmMs).toFixed(1)}x`]);
  console.error(`${name}: wasm ${wasmMs.toFixed(1)} ms, cpu ${cpuMs.toFixed(1)} ms`);
  for (const backend of BACKENDS) {
    await useBackend(backend);
    const { model, optimizer, x, labels } = setups[backend];
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, labels]);
  }
}

const table = markdownTable(['model', 'wasm + wasm-train ms/step', 'cpu ms/step', 'speed-up (cpu / wasm)'], rows);
const report =
  `# One training step on wasm (with @netblocks/wasm-train) vs cpu\n\n` +
  `${machine()}. One step = forward (training mode), softmax cross-entropy, backward and an Adam update ` +
  `(\`optimizer.minimize\`), input ${SIZE}x${SIZE}x3, batch ${BATCH}, ${CLASSES} classes. Same initial weights and data on both ` +
  `backends; one warm-up step on wasm, then ${runs.wasm} wasm and ${runs.cpu} cpu steps, interleaved; median ms per step.\n\n${table}\n`;
console.log(report);
writeFileSync(new URL('./results/train-step.md', import.meta.url), report);
