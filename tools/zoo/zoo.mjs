#!/usr/bin/env node
// The zoo report: every registered model (or those matching a pattern) with its parameters, MACs
// and batch-1 latency on the wasm backend at its default resolution, as Markdown and JSON files.
// The measuring is `zooReport` of @netblocks/cli (also `netblocks zoo`); this script writes the files.
//   node tools/zoo/zoo.mjs [pattern] [--runs N] [--out DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStepProgressBar, formatZooMarkdown, zooReport } from '@netblocks/cli';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const pattern = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const runs = Number(option('--runs', 5));
const outDir = option('--out', new URL('./results', import.meta.url).pathname);

const report = await zooReport({ ...(pattern === undefined ? {} : { pattern }), runs, backend: 'wasm', onModel: createStepProgressBar(process.stderr) });
const markdown = formatZooMarkdown(report);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'zoo.md'), markdown);
writeFileSync(join(outDir, 'zoo.json'), JSON.stringify(report, null, 2));
console.log(markdown);
