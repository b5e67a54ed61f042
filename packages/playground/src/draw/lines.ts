import { groupColor } from './colors.js';

/** Where to draw a permutation. */
export interface PermutationOptions {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Input channels per colour (a group). */
  groupSize: number;
}

/**
 * Draws `y[j] = x[perm[j]]` as two rows of channels, inputs on top and outputs below, with a line
 * from input `perm[j]` to output `j`, coloured by the input's group.
 */
export function drawPermutation(ctx: CanvasRenderingContext2D, perm: readonly number[], options: PermutationOptions): void {
  const { x, y, width, height, groupSize } = options;
  const n = perm.length;
  const step = width / n;
  const at = (i: number) => x + step * (i + 0.5);
  const top = y + 22;
  const bottom = y + height - 22;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.lineWidth = 2;
  perm.forEach((source, j) => {
    ctx.strokeStyle = groupColor(Math.floor(source / groupSize));
    ctx.beginPath();
    ctx.moveTo(at(source), top + 6);
    ctx.bezierCurveTo(at(source), (top + bottom) / 2, at(j), (top + bottom) / 2, at(j), bottom - 6);
    ctx.stroke();
  });
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = groupColor(Math.floor(i / groupSize));
    ctx.beginPath();
    ctx.arc(at(i), top, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#222';
    ctx.fillText(String(i), at(i), top - 9);
    const source = perm[i] as number;
    ctx.fillStyle = groupColor(Math.floor(source / groupSize));
    ctx.beginPath();
    ctx.arc(at(i), bottom, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#222';
    ctx.fillText(String(source), at(i), bottom + 17);
  }
  ctx.textAlign = 'start';
}
