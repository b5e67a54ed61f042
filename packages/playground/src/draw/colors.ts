/** Diverging colour of `t` in [-1, 1]: blue (negative), white (0), red (positive). */
export function divergingColor(t: number): string {
  const a = Math.min(1, Math.abs(t));
  const [r, g, b] = t >= 0 ? [255, 255 - 200 * a, 255 - 210 * a] : [255 - 210 * a, 255 - 170 * a, 255];
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}

/** Sequential colour of `t` in [0, 1]: white to dark teal. */
export function sequentialColor(t: number): string {
  const a = Math.min(1, Math.max(0, t));
  return `rgb(${Math.round(255 - 235 * a)}, ${Math.round(255 - 145 * a)}, ${Math.round(255 - 125 * a)})`;
}

/** Grey level of `t` in [0, 1]: black to white (an image as the model sees it). */
export function greyColor(t: number): string {
  const v = Math.round(255 * Math.min(1, Math.max(0, t)));
  return `rgb(${v}, ${v}, ${v})`;
}

/** A categorical colour for group `i`. */
export function groupColor(i: number): string {
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  return palette[i % palette.length] as string;
}
