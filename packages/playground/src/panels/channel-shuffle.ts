import * as tf from '@tensorflow/tfjs';
import { channelShuffle, channelShufflePermutation } from '@netblocks/channel-shuffle';
import { canvasById, clearCanvas, elementById, fillSelect } from '../draw/canvas.js';
import { drawPermutation } from '../draw/lines.js';
import { renderPanel } from '../panel.js';
import { take } from '../seeded.js';

const CHANNELS = 12;
const GROUP_CHOICES = [1, 2, 3, 4, 6];

/** Where each output channel comes from, found by shuffling the channel indices themselves. */
export function shuffledIndices(channels: number, groups: number): number[] {
  const indices = tf.reshape(tf.range(0, channels, 1, 'float32'), [1, 1, 1, channels]);
  const shuffled = Array.from(take(channelShuffle(indices, groups)));
  indices.dispose();
  return shuffled;
}

function draw(groups: number): void {
  const perm = shuffledIndices(CHANNELS, groups);
  const expected = channelShufflePermutation(CHANNELS, groups);
  const agrees = perm.every((p, j) => p === expected[j]);
  const ctx = clearCanvas(canvasById('channel-shuffle-canvas'));
  drawPermutation(ctx, perm, { x: 0, y: 0, width: 360, height: 220, groupSize: CHANNELS / groups });
  elementById('channel-shuffle-result').textContent =
    `groups=${groups}: y = x[${perm.join(',')}]; channelShufflePermutation agrees: ${agrees ? 'yes' : 'NO'}`;
  if (!agrees) throw new Error(`channelShuffle and channelShufflePermutation disagree (groups=${groups})`);
}

export async function setupChannelShuffle(): Promise<void> {
  const select = elementById<HTMLSelectElement>('shuffle-groups-select');
  fillSelect(select, GROUP_CHOICES, 3);
  select.addEventListener('change', () => void renderPanel('channel-shuffle', () => draw(Number(select.value))));
  await renderPanel('channel-shuffle', () => draw(Number(select.value)));
}
