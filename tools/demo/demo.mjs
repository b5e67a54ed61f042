#!/usr/bin/env node
// The README's demo. Until the model zoo lands it shows what exists: a small MobileNet-style network
// built from @netblocks/core's conv-BN-act, profiled, BatchNorm-folded and checked, saved and reloaded
// with the Node file IO, on the fastest backend this machine has.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batchNormParamsOf,
  convBnAct,
  foldBatchNormIntoConv,
  initBackend,
  makeDivisible,
  profile,
  summary,
} from '@netblocks/core';
import { loadModel, saveModel } from '@netblocks/core/node';

const t0 = performance.now();
const backend = await initBackend();

// A depthwise-separable stack at width 0.5, sized for 28x28 digits.
const width = (c) => makeDivisible(c * 0.5);
const input = tf.input({ shape: [28, 28, 1], name: 'input' });
let x = convBnAct({ name: 'stem', filters: width(32), strides: 2, activation: 'relu6' })(input);
for (const [i, [filters, strides]] of [[64, 1], [128, 2], [128, 1]].entries()) {
  x = convBnAct({ name: `blocks.${i}.dw`, depthwise: true, strides, activation: 'relu6' })(x);
  x = convBnAct({ name: `blocks.${i}.pw`, filters: width(filters), kernelSize: 1, activation: 'relu6' })(x);
}
x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x);
const logits = tf.layers.dense({ units: 10, name: 'head' }).apply(x);
const model = tf.model({ inputs: input, outputs: logits, name: 'demo_net' });

console.log(summary(model));

// Give the BatchNorms non-trivial statistics, as training would, then fold the stem's BN into its conv.
for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
  const c = layer.getWeights()[0].shape[0];
  layer.setWeights([tf.randomUniform([c], 0.5, 1.5), tf.randomNormal([c]), tf.randomNormal([c]), tf.randomUniform([c], 0.5, 2)]);
}
const image = tf.randomUniform([1, 28, 28, 1]);
const folded = tf.tidy(() => {
  const stemConv = model.getLayer('stem.0');
  const { kernel, bias } = foldBatchNormIntoConv(stemConv.getWeights()[0], undefined, batchNormParamsOf(model.getLayer('stem.1')));
  const padded = model.getLayer('stem.pad').apply(image);
  const viaFold = tf.relu6(tf.add(tf.conv2d(padded, kernel, 2, 'valid'), bias));
  const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer('stem.2').output });
  return tf.max(tf.abs(tf.sub(viaFold, sub.predict(image)))).dataSync()[0];
});
console.log(`BatchNorm folded into the stem conv: max |difference| = ${folded.toExponential(2)}`);

// Save with the Node file IO (no tfjs-node), load back, compare.
const dir = mkdtempSync(join(tmpdir(), 'netblocks-demo-'));
try {
  await saveModel(model, join(dir, 'demo_net'));
  const loaded = await loadModel(join(dir, 'demo_net'));
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(image), loaded.predict(image)))).dataSync()[0]);
  console.log(`saved and reloaded ${join(dir, 'demo_net')}: max |difference| = ${diff}`);
  if (diff !== 0 || folded > 1e-4) throw new Error('demo: outputs changed');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Latency of one 28x28 image on the chosen backend.
const run = () => tf.tidy(() => model.predict(image).dataSync());
for (let i = 0; i < 5; i++) run();
const times = [];
for (let i = 0; i < 30; i++) {
  const s = performance.now();
  run();
  times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
const p = profile(model);
console.log(
  `\n${backend.name}: ${(p.totalParams / 1e3).toFixed(1)} K parameters, ${(p.macs / 1e6).toFixed(2)} M MACs, ` +
    `median ${times[15].toFixed(2)} ms/image; demo finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
console.log('Blocks (depthwise-sep, group-conv, channel-shuffle, ...) and the model zoo are on their way: see README.md.');
