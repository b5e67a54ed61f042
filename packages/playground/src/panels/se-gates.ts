import * as tf from '@tensorflow/tfjs';
import { SqueezeExcite } from '@netblocks/se-block';
import { canvasById, clearCanvas, elementById } from '../draw/canvas.js';
import { drawBars, type Bar } from '../draw/bars.js';
import { renderPanel } from '../panel.js';
import { seedLayerWeights, take } from '../seeded.js';

const CHANNELS = 16;
const REDUCED = 4;
const SIZE = 8;

/** An SE layer (16 -> 4 -> 16, ReLU, sigmoid) in a one-layer model, with seeded weights. */
function buildSe(): { model: tf.LayersModel; layer: SqueezeExcite } {
  const input = tf.input({ shape: [SIZE, SIZE, CHANNELS] });
  const layer = new SqueezeExcite({ name: 'se', reducedChannels: REDUCED });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  seedLayerWeights(layer, 7, 0.6);
  return { model, layer };
}

/**
 * The SE layer's gates for a positive input whose channels have different means: since
 * `y = x * s` channel-wise, `s[c] = sum(y[..., c]) / sum(x[..., c])`. Returns the channel means too.
 */
export function seGates(model: tf.LayersModel, inputSeed: number): { means: Float32Array; gates: Float32Array } {
  const x = tf.tidy(() => {
    const channelMeans = tf.randomUniform([1, 1, 1, CHANNELS], 0.1, 2.5, 'float32', inputSeed);
    const texture = tf.randomUniform([1, SIZE, SIZE, CHANNELS], 0.5, 1.5, 'float32', inputSeed + 1);
    return tf.mul(channelMeans, texture);
  });
  const y = model.predict(x) as tf.Tensor;
  const [means, gates] = tf.tidy(() => {
    const sumX = tf.sum(x, [0, 1, 2]);
    return [tf.div(sumX, SIZE * SIZE), tf.div(tf.sum(y, [0, 1, 2]), sumX)];
  });
  tf.dispose([x, y]);
  return { means: take(means), gates: take(gates) };
}

function draw(model: tf.LayersModel, inputSeed: number): void {
  const { means, gates } = seGates(model, inputSeed);
  const maxMean = Math.max(...means);
  const bars: Bar[] = [];
  for (let c = 0; c < CHANNELS; c++) {
    bars.push({ value: (means[c] as number) / maxMean, color: '#bbb' });
    bars.push({ value: gates[c] as number, color: '#147a7d' });
  }
  const ctx = clearCanvas(canvasById('se-gates-canvas'));
  ctx.fillStyle = '#222';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#999';
  ctx.fillRect(10, 6, 10, 10);
  ctx.fillStyle = '#147a7d';
  ctx.fillRect(170, 6, 10, 10);
  ctx.fillStyle = '#222';
  ctx.fillText('channel mean (relative)', 24, 15);
  ctx.fillText('gate (output / input)', 184, 15);
  drawBars(ctx, bars, {
    x: 6, y: 24, width: 348, height: 200, max: 1, groupSize: 2,
    groupLabels: Array.from({ length: CHANNELS }, (_, c) => String(c)),
  });
  const g = Array.from(gates);
  elementById('se-gates-result').textContent =
    `${CHANNELS} channels -> ${REDUCED} -> ${CHANNELS}: gates from ${Math.min(...g).toFixed(3)} to ${Math.max(...g).toFixed(3)}`;
}

export async function setupSeGates(): Promise<void> {
  const { model } = buildSe();
  let inputSeed = 1;
  elementById('se-new-input').addEventListener('click', () => {
    inputSeed += 2;
    void renderPanel('se-gates', () => draw(model, inputSeed));
  });
  await renderPanel('se-gates', () => draw(model, inputSeed));
}
