#!/usr/bin/env node
// The README's demo: what netblocks does today, end to end, on the fastest backend this machine has.
// Networks from the papers by name with their reference sizes; a small classifier run on the wasm
// backend; RepVGG's re-parameterization checked against the training form; a model saved and
// reloaded with the Node file IO (no tfjs-node). Training on MNIST joins it with @netblocks/wasm-train.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCount, initBackend, profile } from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';
import { createModel, getModelInfo, listModels } from '@netblocks/models';
import '@netblocks/models/register';
import { reparameterize } from '@netblocks/repvgg-reparam';

const t0 = performance.now();
const backend = await initBackend();
const maxAbsDiff = (a, b) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
/** max |a - b| / max |b|, the measure every parity check in netblocks uses. */
const relativeDiff = (a, b) => maxAbsDiff(a, b) / tf.tidy(() => tf.max(tf.abs(b)).dataSync()[0]);

function medianMs(fn, runs = 15) {
  const once = () => {
    const start = performance.now();
    tf.tidy(() => {
      fn().dataSync();
    });
    return performance.now() - start;
  };
  for (let i = 0; i < 3; i++) once();
  return Array.from({ length: runs }, once).sort((a, b) => a - b)[Math.floor(runs / 2)];
}

// 1. The zoo: every family, each at its paper's size.
console.log(`${listModels().length} models registered. A few, built and profiled at their default resolution:`);
for (const name of ['shufflenet_v2_x0_5', 'mobilenetv2_100', 'efficientnet_b0', 'resnext50_32x4d']) {
  const model = createModel(name);
  const p = profile(model);
  const ref = getModelInfo(name).reference;
  const same = p.totalParams === ref.totalParams ? 'matches the reference' : `reference ${ref.totalParams}`;
  console.log(`  ${name.padEnd(20)} ${formatCount(p.totalParams).padStart(9)} params (${same}), ${formatCount(p.macs).padStart(9)} MACs`);
  model.dispose();
}

// 2. A small classifier for 32x32 grey images, on this backend.
const small = createModel('mobilenetv2_035', { numClasses: 10, inputShape: [32, 32, 1] });
const image = tf.randomUniform([1, 32, 32, 1]);
const ms = medianMs(() => small.predict(image));
console.log(`\nmobilenetv2_035 for 32x32x1, 10 classes: ${formatCount(small.countParams())} params, ${ms.toFixed(2)} ms/image on ${backend.name}`);

// 3. RepVGG: three branches per block in training, one 3x3 conv after re-parameterization.
const train = createModel('repvgg_a0', { inputShape: [64, 64, 3] });
for (const layer of train.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
  const c = layer.getWeights()[0].shape[0];
  layer.setWeights([tf.randomUniform([c], 0.5, 1.5), tf.randomNormal([c], 0, 0.1), tf.randomNormal([c], 0, 0.1), tf.randomUniform([c], 0.5, 2)]);
}
const deploy = reparameterize(train);
const x64 = tf.randomUniform([1, 64, 64, 3]);
const repDiff = relativeDiff(deploy.predict(x64), train.predict(x64));
const trainMs = medianMs(() => train.predict(x64), 7);
const deployMs = medianMs(() => deploy.predict(x64), 7);
console.log(
  `repvgg_a0: ${formatCount(train.countParams())} -> ${formatCount(deploy.countParams())} params after reparameterize, ` +
    `${trainMs.toFixed(1)} -> ${deployMs.toFixed(1)} ms at 64x64, relative difference ${repDiff.toExponential(2)}`,
);

// 4. Save and reload with the Node file IO, in the TF.js layers format a browser loads.
const dir = mkdtempSync(join(tmpdir(), 'netblocks-demo-'));
let ioDiff;
try {
  await saveModel(small, join(dir, 'mobilenetv2_035'));
  const loaded = await loadModel(join(dir, 'mobilenetv2_035'));
  ioDiff = maxAbsDiff(small.predict(image), loaded.predict(image));
  console.log(`saved and reloaded ${join(dir, 'mobilenetv2_035')}: max |difference| ${ioDiff}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (ioDiff !== 0 || !(repDiff < 1e-4)) throw new Error('demo: outputs changed');
console.log(`\ndemo finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
