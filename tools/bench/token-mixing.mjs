#!/usr/bin/env node
// Token-mixing benchmark at Mixer-B/16 size (S=196, C=768, D_S=384), in one run on one backend:
// the four-layer baseline (permute, dense + GELU, dense, permute), two layouts that multiply on the
// token axis, the `tokenMixing` op and the TokenMixing layer, all on the same weights. Forward, and
// forward + backward (the gradients of every weight). The candidates run interleaved, one call each
// per round, so that load from other processes lands on all of them alike. Prints a Markdown table:
// median ms and the ratio to the baseline.
//   node tools/bench/token-mixing.mjs [--backend wasm|cpu] [--batches 1,8] [--rounds 15]
import * as tf from '@tensorflow/tfjs';
import { gelu, TokenMixing, tokenMixing } from '@netblocks/mlp-mixer';
import { machine, markdownTable, useBackend } from './harness.mjs';

const args = process.argv.slice(2);
const option = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const backend = option('--backend', 'wasm');
const batches = option('--batches', '1,8').split(',').map(Number);
const rounds = Number(option('--rounds', '15'));
const [S, C, DS] = [196, 768, 384];

function modelOf(layers) {
  const input = tf.input({ shape: [S, C] });
  return tf.model({ inputs: input, outputs: layers.reduce((t, layer) => layer.apply(t), input) });
}

/**
 * Token mixing with the tokens on the rows, `W1^T [D_S, S] x X [S, N*C]`: no transpose of the
 * activations at all for one image. `transposeFlags` hands W1 and W2 to matMul with transposeA set;
 * otherwise they are transposed explicitly first.
 */
function tokenAxis(x, w, transposeFlags) {
  const [n, , c] = x.shape;
  const rows = n === 1 ? x.reshape([S, c]) : x.transpose([1, 0, 2]).reshape([S, n * c]);
  const times = (k, v) => (transposeFlags ? tf.matMul(k, v, true) : tf.matMul(k.transpose(), v));
  const h = gelu(tf.add(times(w.fc1Kernel, rows), w.fc1Bias.reshape([DS, 1])));
  const y = tf.add(times(w.fc2Kernel, h), w.fc2Bias.reshape([S, 1]));
  return n === 1 ? y.reshape([1, S, c]) : y.reshape([S, n, c]).transpose([1, 0, 2]);
}

await useBackend(backend);
const baseline = modelOf([
  tf.layers.permute({ dims: [2, 1] }),
  tf.layers.dense({ units: DS, activation: 'gelu' }),
  tf.layers.dense({ units: S }),
  tf.layers.permute({ dims: [2, 1] }),
]);
const layer = new TokenMixing({ tokenMlpDim: DS, biasInitializer: 'glorotUniform' });
const single = modelOf([layer]);
const [fc1Kernel, fc1Bias, fc2Kernel, fc2Bias] = layer.getWeights().map((w) => tf.variable(w));
const weights = { fc1Kernel, fc1Bias, fc2Kernel, fc2Bias };
baseline.setWeights([fc1Kernel, fc1Bias, fc2Kernel, fc2Bias]);

// sum(f()) and the gradients of `vars`, summed into one scalar to read back.
const withGrads = (f, vars) => () => {
  const { value, grads } = tf.variableGrads(() => f().sum(), vars);
  return tf.addN([value, ...Object.values(grads).map((g) => g.sum())]);
};
const candidates = [
  ['four tf.layers (baseline)', (x) => () => baseline.predict(x), (x) => withGrads(() => baseline.apply(x), baseline.trainableWeights.map((w) => w.read()))],
  ["token axis, matMul(W, X, transposeA)", (x) => () => tokenAxis(x, weights, true), (x) => withGrads(() => tokenAxis(x, weights, true), Object.values(weights))],
  ['token axis, transpose(W) then matMul', (x) => () => tokenAxis(x, weights, false), (x) => withGrads(() => tokenAxis(x, weights, false), Object.values(weights))],
  ['tokenMixing op (chosen)', (x) => () => tokenMixing(x, weights), (x) => withGrads(() => tokenMixing(x, weights), Object.values(weights))],
  ['TokenMixing layer in a model', (x) => () => single.predict(x), (x) => withGrads(() => single.apply(x), single.trainableWeights.map((w) => w.read()))],
];

/** Milliseconds of one call of `fn` (its result read back to force the work). */
function timeOnce(fn) {
  const start = performance.now();
  tf.tidy(() => {
    fn().dataSync();
  });
  return performance.now() - start;
}

/** Median ms of every function, calling each once per round after one warm-up call. */
function interleavedMedians(fns) {
  const times = fns.map((fn) => {
    timeOnce(fn); // warm-up
    return [];
  });
  for (let r = 0; r < rounds; r++) fns.forEach((fn, i) => times[i].push(timeOnce(fn)));
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

const rows = [];
for (const batch of batches) {
  const x = tf.randomNormal([batch, S, C]);
  // The transposeA layout takes seconds per call beyond one image; it is timed at batch 1 only.
  const timed = candidates.filter(([label]) => batch === 1 || !label.includes('transposeA'));
  const reference = tf.tidy(() => candidates[0][1](x)().dataSync());
  for (const [label, forward] of timed) {
    // Every candidate computes the same function as the baseline.
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(forward(x)(), tf.tensor(reference, x.shape)))).dataSync()[0]);
    if (diff > 1e-3) throw new Error(`${label}: differs from the baseline by ${diff}`);
  }
  const forwardMs = interleavedMedians(timed.map(([, forward]) => forward(x)));
  console.error(`batch ${batch}: forward done`);
  const backwardMs = interleavedMedians(timed.map(([, , backward]) => backward(x)));
  console.error(`batch ${batch}: forward + backward done`);
  const cell = (ms, base) => `${ms.toFixed(2)} (${(ms / base).toFixed(2)}x)`;
  timed.forEach(([label], i) => rows.push([batch, label, cell(forwardMs[i], forwardMs[0]), cell(backwardMs[i], backwardMs[0])]));
  x.dispose();
}

console.log(`Token mixing at Mixer-B/16 size (S=${S}, C=${C}, D_S=${DS}), backend ${backend}; ${machine()}\n`);
console.log(markdownTable(['batch', 'implementation', 'forward ms (ratio)', 'forward + backward ms (ratio)'], rows));
