#!/usr/bin/env node
// The zoo report: every registered model (or those matching a pattern) with its parameters, MACs
// and batch-1 latency on the wasm backend at its default resolution, as Markdown and JSON.
//   node tools/zoo/zoo.mjs [pattern] [--runs N] [--out DIR]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { formatCount, profile } from '@netblocks/core';
import { createModel, getModelInfo, listModels } from '@netblocks/models';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const pattern = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const runs = Number(option('--runs', 5));
const outDir = option('--out', new URL('./results', import.meta.url).pathname);

await tf.setBackend('wasm');
await tf.ready();

function medianMs(fn) {
  const once = () => {
    const start = performance.now();
    tf.tidy(() => {
      fn().dataSync();
    });
    return performance.now() - start;
  };
  once();
  const times = Array.from({ length: runs }, once).sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

const rows = [];
for (const name of listModels(pattern)) {
  const info = getModelInfo(name);
  const model = createModel(name);
  const p = profile(model);
  const x = tf.randomNormal([1, info.inputSize, info.inputSize, 3]);
  const ms = medianMs(() => model.predict(x));
  tf.dispose(x);
  model.dispose();
  const row = { name, family: info.family, inputSize: info.inputSize, params: p.totalParams, trainableParams: p.trainableParams, macs: p.macs, wasmMs: ms };
  rows.push(row);
  console.error(`${name}: ${ms.toFixed(1)} ms`);
}

// Efficiency: top-1 is not measured here (no weights), so rank by cost: MACs per parameter say how
// hard each weight works; ms per GMAC says how well the runtime executes the architecture.
const table = [
  '| model | input | params | MACs | wasm ms (batch 1) | GMAC/s |',
  '|---|---|---|---|---|---|',
  ...rows
    .sort((a, b) => a.macs - b.macs)
    .map((r) => `| ${r.name} | ${r.inputSize} | ${formatCount(r.params)} | ${formatCount(r.macs)} | ${r.wasmMs.toFixed(1)} | ${(r.macs / 1e6 / r.wasmMs).toFixed(2)} |`),
].join('\n');
const machine = `${cpus().length} x ${cpus()[0]?.model}, Node ${process.versions.node}, tfjs ${tf.version.tfjs}, wasm backend`;
const markdown = `# netblocks model zoo\n\n${machine}; median of ${runs} runs after a warm-up, batch 1, default resolution.\n\n${table}\n`;
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'zoo.md'), markdown);
writeFileSync(join(outDir, 'zoo.json'), JSON.stringify({ machine, runs, models: rows }, null, 2));
console.log(markdown);
