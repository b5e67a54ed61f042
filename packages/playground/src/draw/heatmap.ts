import { divergingColor, sequentialColor } from './colors.js';

/** Where and how to draw one heatmap. */
export interface HeatmapOptions {
  /** Top-left corner in canvas pixels. */
  x: number;
  y: number;
  /** Side of one cell in pixels. */
  cell: number;
  /** Signed values: blue-white-red around 0; otherwise white to teal from 0. Default true. */
  diverging?: boolean;
  /** Colour of a value divided by `scale`; overrides `diverging`. */
  color?: (t: number) => string;
  /** The value drawn at full colour. Default the largest |value|. */
  scale?: number;
  /** Title drawn above the map. */
  title?: string;
  /** Pixels left blank after every `gapEvery` rows and columns (tiles of kernels). Default none. */
  gapEvery?: number;
}

/** The largest |v| of `values` (1 when all are 0, so that a zero map draws white). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] as number));
  return m === 0 ? 1 : m;
}

/** Draws a `rows x cols` row-major matrix as coloured cells; returns the drawn width and height. */
export function drawHeatmap(
  ctx: CanvasRenderingContext2D,
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  options: HeatmapOptions,
): { width: number; height: number } {
  if (values.length !== rows * cols) throw new Error(`drawHeatmap: \`values\` must hold rows*cols = ${rows * cols} numbers (got ${values.length})`);
  const { x, y, cell } = options;
  const diverging = options.diverging ?? true;
  const scale = options.scale ?? maxAbs(values);
  const gap = options.gapEvery ? 2 : 0;
  const offset = (i: number) => i * cell + (options.gapEvery ? Math.floor(i / options.gapEvery) * gap : 0);
  const top = options.title ? y + 16 : y;
  if (options.title) {
    ctx.fillStyle = '#222';
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText(options.title, x, y + 11);
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = (values[r * cols + c] as number) / scale;
      ctx.fillStyle = options.color ? options.color(v) : diverging ? divergingColor(v) : sequentialColor(v);
      ctx.fillRect(x + offset(c), top + offset(r), cell, cell);
    }
  }
  const width = offset(cols - 1) + cell;
  const height = offset(rows - 1) + cell;
  ctx.strokeStyle = '#999';
  ctx.lineWidth = 1;
  ctx.strokeRect(x - 0.5, top - 0.5, width + 1, height + 1);
  return { width, height: height + (top - y) };
}
