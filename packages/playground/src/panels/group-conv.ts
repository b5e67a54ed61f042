import * as tf from '@tensorflow/tfjs';
import { groupConv2d } from '@netblocks/group-conv';
import { canvasById, clearCanvas, elementById, fillSelect } from '../draw/canvas.js';
import { drawHeatmap } from '../draw/heatmap.js';
import { renderPanel } from '../panel.js';
import { take } from '../seeded.js';

const CHANNELS = 12;
const GROUP_CHOICES = [1, 2, 3, 4, 6, 12];

/**
 * Which input channel reaches which output channel of a grouped 1x1 conv, found by running
 * `groupConv2d` on every one-hot input at once (a batch of the rows of the identity): entry
 * `[o, i]` is output channel `o`'s response to input channel `i` alone, 1 where connected.
 */
export function groupConvConnectivity(channels: number, groups: number): Float32Array {
  return take(
    tf.tidy(() => {
      const oneHots = tf.reshape(tf.eye(channels), [channels, 1, 1, channels]) as tf.Tensor4D;
      const filter = tf.ones([1, 1, channels / groups, channels]) as tf.Tensor4D;
      const y = groupConv2d(oneHots, filter, { groups, padding: 'valid' });
      // y is [input i, 1, 1, output o]; the picture is [o, i].
      return tf.transpose(tf.reshape(y, [channels, channels]));
    }),
  );
}

function draw(groups: number): void {
  const matrix = groupConvConnectivity(CHANNELS, groups);
  const ctx = clearCanvas(canvasById('group-conv-canvas'));
  ctx.fillStyle = '#222';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText('input channel →', 40, 14);
  ctx.save();
  ctx.translate(14, 60);
  ctx.rotate(Math.PI / 2);
  ctx.fillText('output channel →', 0, 0);
  ctx.restore();
  drawHeatmap(ctx, matrix, CHANNELS, CHANNELS, { x: 40, y: 24, cell: 26, diverging: false, scale: 1 });
  const connections = matrix.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
  elementById('group-conv-result').textContent =
    `groups=${groups}: ${connections} of ${CHANNELS * CHANNELS} input-output pairs connected ` +
    `(1/${(CHANNELS * CHANNELS) / connections}); weights and MACs shrink by the same factor`;
}

export async function setupGroupConv(): Promise<void> {
  const select = elementById<HTMLSelectElement>('groups-select');
  fillSelect(select, GROUP_CHOICES, 4);
  select.addEventListener('change', () => void renderPanel('group-conv', () => draw(Number(select.value))));
  await renderPanel('group-conv', () => draw(Number(select.value)));
}
