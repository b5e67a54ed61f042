#!/usr/bin/env node
// Fine-tuning benchmark with real data: ShuffleNetV2-x0.5 trained by `netblocks train` on the MNIST
// digits 0-4 only is fine-tuned on the digits 5-9 (a new 5-class classifier, the backbone from the
// 0-4 model through `--weights <dir>`, the path that also loads Hub and torchvision checkpoints), against
// the same network trained from scratch on the same 5-9 images for the same epochs. Both are run
// for 1 and for 3 epochs, in this one run; the table gives the held-out test accuracy of each and
// the difference. Writes results/fine-tune.md.
//   node tools/bench/fine-tune.mjs [--per-class 300] [--pretrain-epochs 4]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '@netblocks/cli';
import { machine, markdownTable } from './harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? fallback : fallback);
const perClass = Number(option('--per-class', '300'));
const pretrainEpochs = Number(option('--pretrain-epochs', '4'));
const root = mkdtempSync(join(tmpdir(), 'netblocks-fine-tune-'));
// The demo's recipe (packages/cli/src/demo/run-demo.ts): digits resized to 40x40, shifted by up to 2 pixels.
const common = { model: 'shufflenet_v2_x0_5', imageSize: 40, fit: 'resize', shift: 2, batchSize: 32, learningRate: 3e-3, seed: 1, backend: 'wasm' };

async function run(name, options) {
  const began = performance.now();
  const result = await train({ ...common, ...options, outDir: join(root, name) });
  result.model.dispose();
  const seconds = (performance.now() - began) / 1000;
  console.error(`${name}: test accuracy ${(100 * result.evaluation.accuracy).toFixed(2)}% (${seconds.toFixed(0)} s)`);
  return { accuracy: result.evaluation.accuracy, modelDir: result.modelDir, trainImages: result.dataset.train.labels.length, testImages: result.evaluation.images };
}

const base = await run('digits-0-4', { data: 'mnist:0-4', epochs: pretrainEpochs });
const rows = [];
let counts = { train: 0, test: 0 };
for (const epochs of [1, 3]) {
  const task = { data: 'mnist:5-9', epochs, trainPerClass: perClass };
  const scratch = await run(`scratch-${epochs}`, task);
  // No validation split, so both train on exactly the same images.
  const tuned = await run(`fine-tune-${epochs}`, { ...task, pretrained: base.modelDir, valFraction: 0 });
  rows.push([String(epochs), `${(100 * scratch.accuracy).toFixed(2)} %`, `${(100 * tuned.accuracy).toFixed(2)} %`, `${(100 * (tuned.accuracy - scratch.accuracy)).toFixed(2)} points`]);
  counts = { train: scratch.trainImages, test: scratch.testImages };
}
const table = markdownTable(['epochs', 'from scratch', 'fine-tuned from the 0-4 model', 'difference'], rows);
const report = [
  `# Fine-tuning: MNIST 0-4 model -> digits 5-9`,
  '',
  `${machine()}. ShuffleNetV2-x0.5, 40x40 (digits resized, shifted by up to 2 pixels), wasm backend, Adam lr 3e-3 cosine, batch 32, seed 1.`,
  `The 0-4 model: ${pretrainEpochs} epochs on all training images of digits 0-4 (test accuracy ${(100 * base.accuracy).toFixed(2)} % on 0-4).`,
  `Digits 5-9: ${counts.train} training images (${perClass} per digit), ${counts.test} held-out test images; the fine-tune's backbone learns at 0.1x the rate of its new classifier.`,
  '',
  table,
  '',
].join('\n');
console.log(report);
writeFileSync(new URL('./results/fine-tune.md', import.meta.url), report);
rmSync(root, { recursive: true, force: true });
