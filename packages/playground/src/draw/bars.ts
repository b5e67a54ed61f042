/** One bar: its height as a value, its colour, and what is written under it. */
export interface Bar {
  value: number;
  color: string;
  label?: string;
}

/** Where and how to draw a bar chart. */
export interface BarChartOptions {
  x: number;
  y: number;
  width: number;
  height: number;
  /** The value of a full-height bar. Default the largest value. */
  max?: number;
  /** Extra space after every `groupSize` bars (grouped bars). Default no groups. */
  groupSize?: number;
  /** Labels of the groups, written under them (`\n` starts a second line). */
  groupLabels?: string[];
  /** Text written above each bar, from its value. Default none. */
  valueText?: (value: number, index: number) => string;
}

/** Draws vertical bars from a baseline at the bottom of the box. */
export function drawBars(ctx: CanvasRenderingContext2D, bars: readonly Bar[], options: BarChartOptions): void {
  const { x, y, width, height } = options;
  const groupSize = options.groupSize ?? 1;
  const groups = Math.ceil(bars.length / groupSize);
  const max = options.max ?? Math.max(...bars.map((b) => b.value), Number.MIN_VALUE);
  const labelLines = Math.max(1, ...(options.groupLabels ?? []).map((l) => l.split('\n').length));
  const labelSpace = options.groupLabels || bars.some((b) => b.label) ? 4 + 12 * labelLines : 0;
  const plotHeight = height - labelSpace - (options.valueText ? 12 : 0);
  const baseline = y + height - labelSpace;
  const groupWidth = width / groups;
  const barWidth = (groupWidth * (groupSize > 1 ? 0.8 : 0.75)) / groupSize;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textAlign = 'center';
  bars.forEach((bar, i) => {
    const g = Math.floor(i / groupSize);
    const left = x + g * groupWidth + (groupWidth - barWidth * groupSize) / 2 + (i % groupSize) * barWidth;
    const h = Math.max(0, (bar.value / max) * plotHeight);
    ctx.fillStyle = bar.color;
    ctx.fillRect(left, baseline - h, barWidth - 1, h);
    ctx.fillStyle = '#222';
    if (options.valueText) ctx.fillText(options.valueText(bar.value, i), left + barWidth / 2, baseline - h - 3);
    if (bar.label) ctx.fillText(bar.label, left + barWidth / 2, baseline + 12);
  });
  options.groupLabels?.forEach((label, g) =>
    label.split('\n').forEach((line, k) => ctx.fillText(line, x + g * groupWidth + groupWidth / 2, baseline + 12 * (k + 1))),
  );
  ctx.strokeStyle = '#888';
  ctx.beginPath();
  ctx.moveTo(x, baseline + 0.5);
  ctx.lineTo(x + width, baseline + 0.5);
  ctx.stroke();
  ctx.textAlign = 'start';
}
