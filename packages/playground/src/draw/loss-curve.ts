/** Draws the losses of every step so far as a line from 0 to the largest, with the first and last values. */
export function drawLossCurve(ctx: CanvasRenderingContext2D, losses: readonly number[], box: { x: number; y: number; width: number; height: number }): void {
  const { x, y, width, height } = box;
  const top = y + 14;
  const plotHeight = height - 26;
  const max = Math.max(...losses, Number.MIN_VALUE);
  const at = (i: number, loss: number): [number, number] => [x + (losses.length > 1 ? (i * width) / (losses.length - 1) : 0), top + plotHeight * (1 - loss / max)];
  ctx.strokeStyle = '#888';
  ctx.beginPath();
  ctx.moveTo(x, top + plotHeight + 0.5);
  ctx.lineTo(x + width, top + plotHeight + 0.5);
  ctx.stroke();
  ctx.strokeStyle = '#147a7d';
  ctx.lineWidth = 2;
  ctx.beginPath();
  losses.forEach((loss, i) => (i === 0 ? ctx.moveTo(...at(i, loss)) : ctx.lineTo(...at(i, loss))));
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.fillStyle = '#222';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(`loss per step (max ${max.toFixed(3)})`, x, y + 10);
  if (losses.length > 0) {
    ctx.textAlign = 'end';
    ctx.fillText(`step ${losses.length}: ${(losses.at(-1) as number).toFixed(4)}`, x + width, y + 10);
    ctx.textAlign = 'start';
  }
}
