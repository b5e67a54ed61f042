// A grouped 2-D convolution and its gradient written out as loops over every output and every
// kernel tap, in Float64, independent of TF.js: the reference for dense (groups 1), grouped and
// depthwise convs at any stride, dilation and padding.

export type Pair = [number, number];

/** Geometry of one naive conv. The filter is `[kh, kw, Cin/groups, Cout]`: output channel `o` of
 * group `floor(o / (Cout/groups))` sees that group's `Cin/groups` input channels. A depthwise filter
 * `[kh, kw, C, m]` is the same data as `[kh, kw, 1, C*m]` with groups = C. */
export interface NaiveConvGeometry {
  xShape: readonly [number, number, number, number];
  filterShape: readonly [number, number, number, number];
  groups: number;
  strides: Pair;
  dilations: Pair;
  /** Zeros before and after each spatial axis: `[[top, bottom], [left, right]]`. */
  pads: [Pair, Pair];
}

/** The geometry of a depthwise conv with filter `[kh, kw, C, m]` as a grouped conv. */
export function depthwiseGeometry(
  xShape: readonly [number, number, number, number],
  [kh, kw, c, m]: readonly [number, number, number, number],
  rest: Pick<NaiveConvGeometry, 'strides' | 'dilations' | 'pads'>,
): NaiveConvGeometry {
  return { xShape, filterShape: [kh, kw, 1, c * m], groups: c, ...rest };
}

/** TF's `'same'` padding along one axis: the odd zero goes after. */
export function samePads(length: number, kernel: number, stride: number, dilation: number): Pair {
  const total = Math.max((Math.ceil(length / stride) - 1) * stride + dilation * (kernel - 1) + 1 - length, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** PyTorch's symmetric padding `dilation * (k - 1) / 2` of an odd kernel, both axes. */
export function torchPads([kh, kw]: Pair, [dh, dw]: Pair): [Pair, Pair] {
  return [
    [(dh * (kh - 1)) / 2, (dh * (kh - 1)) / 2],
    [(dw * (kw - 1)) / 2, (dw * (kw - 1)) / 2],
  ];
}

/** `[N, H_out, W_out, Cout]`. */
export function naiveOutShape(g: NaiveConvGeometry): [number, number, number, number] {
  const [n, h, w] = g.xShape;
  const [kh, kw, , cout] = g.filterShape;
  const side = (length: number, k: number, axis: 0 | 1) =>
    Math.floor((length + g.pads[axis][0] + g.pads[axis][1] - g.dilations[axis] * (k - 1) - 1) / g.strides[axis]) + 1;
  return [n, side(h, kh, 0), side(w, kw, 1), cout];
}

/** Calls `visit(out, inp, fil)` with flat indices for every product the conv sums (taps in the zero
 * padding skipped). */
function forEachProduct(g: NaiveConvGeometry, visit: (out: number, inp: number, fil: number) => void): void {
  const [n, h, w, cin] = g.xShape;
  const [kh, kw, cg, cout] = g.filterShape;
  const [, oh, ow] = naiveOutShape(g);
  const og = cout / g.groups;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < cout; o++) {
          const out = ((b * oh + i) * ow + j) * cout + o;
          const firstInput = Math.floor(o / og) * cg;
          for (let a = 0; a < kh; a++) {
            const row = i * g.strides[0] + a * g.dilations[0] - g.pads[0][0];
            if (row < 0 || row >= h) continue;
            for (let e = 0; e < kw; e++) {
              const col = j * g.strides[1] + e * g.dilations[1] - g.pads[1][0];
              if (col < 0 || col >= w) continue;
              for (let ci = 0; ci < cg; ci++) visit(out, ((b * h + row) * w + col) * cin + firstInput + ci, ((a * kw + e) * cg + ci) * cout + o);
            }
          }
        }
}

function at(values: ArrayLike<number>, i: number): number {
  return values[i] as number;
}

/** The conv of `x` (NHWC, flat) with `filter` (flat), as a flat `naiveOutShape(g)` array. */
export function naiveConv(x: ArrayLike<number>, filter: ArrayLike<number>, g: NaiveConvGeometry): Float64Array {
  const out = new Float64Array(naiveOutShape(g).reduce((p, v) => p * v, 1));
  forEachProduct(g, (o, i, f) => {
    out[o] = at(out, o) + at(x, i) * at(filter, f);
  });
  return out;
}

/** Gradients of `sum(dy * naiveConv(x, filter))` with respect to `x` and `filter`: the hand-written
 * backward pass (every product `x[i] * filter[f]` sends `dy[o] * filter[f]` to `x[i]` and
 * `dy[o] * x[i]` to `filter[f]`). */
export function naiveConvGrads(
  x: ArrayLike<number>,
  filter: ArrayLike<number>,
  dy: ArrayLike<number>,
  g: NaiveConvGeometry,
): { dx: Float64Array; dFilter: Float64Array } {
  const dx = new Float64Array(x.length);
  const dFilter = new Float64Array(filter.length);
  forEachProduct(g, (o, i, f) => {
    dx[i] = at(dx, i) + at(dy, o) * at(filter, f);
    dFilter[f] = at(dFilter, f) + at(dy, o) * at(x, i);
  });
  return { dx, dFilter };
}

/** Largest `|a[i] - b[i]|`; throws on a length mismatch. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDifference: lengths differ (${a.length} vs ${b.length})`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(at(a, i) - at(b, i)));
  return max;
}

/** Deterministic values in [-1, 1) (a small LCG), so references and TF.js see the same numbers. */
export function seededValues(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}
