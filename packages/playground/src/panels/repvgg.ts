import * as tf from '@tensorflow/tfjs';
import type { BatchNormParams } from '@netblocks/core';
import { fuseBranches, repvggBlock, reparameterize, type RepBranch } from '@netblocks/repvgg-reparam';
import { canvasById, clearCanvas, elementById } from '../draw/canvas.js';
import { drawHeatmap, maxAbs } from '../draw/heatmap.js';
import { renderPanel } from '../panel.js';
import { seedLayerWeights, take } from '../seeded.js';

const CHANNELS = 4;
const SIZE = 6;
const NAME = 'block';

/** A RepVGG block in training form (3x3 + 1x1 + identity, stride 1), with seeded convs and BatchNorms. */
function buildTrainBlock(): tf.LayersModel {
  const input = tf.input({ shape: [SIZE, SIZE, CHANNELS], name: 'input' });
  const output = repvggBlock({ name: NAME, inChannels: CHANNELS, outChannels: CHANNELS })(input);
  const model = tf.model({ inputs: input, outputs: output });
  model.layers.forEach((layer, i) => {
    if (layer.getClassName() === 'BatchNormalization') {
      // gamma, beta, moving mean, moving variance: random but plausible statistics.
      seedLayerWeights(layer, 100 + 10 * i, 0.3, (index, shape, seed) =>
        index === 0 || index === 3 ? tf.randomUniform(shape, 0.5, 1.5, 'float32', seed) : undefined,
      );
    } else if (layer.getWeights().length > 0) {
      seedLayerWeights(layer, 100 + 10 * i, 0.5);
    }
  });
  return model;
}

function batchNormOf(model: tf.LayersModel, name: string): BatchNormParams {
  const layer = model.getLayer(name);
  const [gamma, beta, movingMean, movingVariance] = layer.getWeights() as tf.Tensor1D[];
  if (movingMean === undefined || movingVariance === undefined) throw new Error(`${name}: not a BatchNormalization with 4 weights`);
  return { gamma, beta, movingMean, movingVariance, epsilon: layer.getConfig().epsilon as number };
}

/** One branch folded on its own into a 3x3 kernel (`fuseBranches` of that branch alone). */
function foldedKernel(branch: RepBranch): Float32Array {
  const { kernel, bias } = fuseBranches([branch], { kernelSize: 3, channels: CHANNELS });
  bias.dispose();
  return take(kernel);
}

/** HWIO `[3, 3, Cin, Cout]` values laid out as a (Cout*3) x (Cin*3) matrix of 3x3 tiles. */
export function kernelTiles(hwio: Float32Array, cin: number, cout: number): Float32Array {
  const out = new Float32Array(cout * 3 * cin * 3);
  for (let ky = 0; ky < 3; ky++) {
    for (let kx = 0; kx < 3; kx++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) out[(o * 3 + ky) * cin * 3 + i * 3 + kx] = hwio[((ky * 3 + kx) * cin + i) * cout + o] as number;
      }
    }
  }
  return out;
}

function draw(): void {
  const train = buildTrainBlock();
  const deploy = reparameterize(train);
  const dense = foldedKernel({ kind: 'conv', kernel: train.getLayer(`${NAME}.rbr_dense.conv`).getWeights()[0] as tf.Tensor4D, batchNorm: batchNormOf(train, `${NAME}.rbr_dense.bn`) });
  const pointwise = foldedKernel({ kind: 'conv', kernel: train.getLayer(`${NAME}.rbr_1x1.conv`).getWeights()[0] as tf.Tensor4D, batchNorm: batchNormOf(train, `${NAME}.rbr_1x1.bn`) });
  const identity = foldedKernel({ kind: 'identity', batchNorm: batchNormOf(train, `${NAME}.rbr_identity`) });
  const merged = deploy.getLayer(`${NAME}.rbr_reparam`).getWeights()[0]?.dataSync() as Float32Array;

  // The deployed block must compute what the three branches do.
  const x = tf.randomNormal([4, SIZE, SIZE, CHANNELS], 0, 1, 'float32', 3);
  const outputDiff = take(tf.tidy(() => tf.max(tf.abs(tf.sub(train.predict(x) as tf.Tensor, deploy.predict(x) as tf.Tensor)))))[0] as number;
  const outputScale = take(tf.tidy(() => tf.max(tf.abs(train.predict(x) as tf.Tensor))))[0] as number;
  x.dispose();
  const kernelDiff = merged.reduce((m, v, i) => Math.max(m, Math.abs(v - (dense[i] as number) - (pointwise[i] as number) - (identity[i] as number))), 0);
  const params = [train.countParams(), deploy.countParams()];
  train.dispose();
  deploy.dispose();

  const maps: [string, Float32Array][] = [
    ['3x3 conv + BN', dense],
    ['1x1 conv + BN (padded)', pointwise],
    ['identity + BN', identity],
    ['deployed 3x3 kernel', merged],
  ];
  const scale = Math.max(...maps.map(([, v]) => maxAbs(v)));
  const ctx = clearCanvas(canvasById('repvgg-canvas'));
  let left = 10;
  maps.forEach(([title, values], k) => {
    const { width } = drawHeatmap(ctx, kernelTiles(values, CHANNELS, CHANNELS), CHANNELS * 3, CHANNELS * 3, { x: left, y: 4, cell: 16, gapEvery: 3, scale, title });
    left += width + 20;
    if (k < maps.length - 1) {
      ctx.fillStyle = '#222';
      ctx.font = '28px system-ui, sans-serif';
      ctx.fillText(k === maps.length - 2 ? '=' : '+', left, 120);
      left += 50;
    }
  });
  elementById('repvgg-result').textContent =
    `max |train(x) - deploy(x)| = ${outputDiff.toExponential(2)} (outputs up to ${outputScale.toFixed(2)}); ` +
    `max |sum of branch kernels - deployed kernel| = ${kernelDiff.toExponential(2)}; parameters ${params[0]} -> ${params[1]}`;
  elementById('repvgg-result').dataset.maxOutputDifference = String(outputDiff);
}

export async function setupRepvgg(): Promise<void> {
  await renderPanel('repvgg', draw);
}
