import type * as tf from '@tensorflow/tfjs';
import { profile, type ModelProfile } from './profile.js';

const UNITS: ReadonlyArray<readonly [scale: number, suffix: string]> = [
  [1e3, 'K'],
  [1e6, 'M'],
  [1e9, 'G'],
  [1e12, 'T'],
];

/**
 * A count in K / M / G / T with `digits` decimals (default 2): `formatCount(300_774_272)` is
 * `'300.77 M'`, `formatCount(999_999)` is `'1.00 M'`; counts below 1000 are printed as they are.
 */
export function formatCount(n: number, digits = 2): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new Error(`formatCount: \`digits\` must be an integer in [0, 20] (got digits=${digits})`);
  }
  let index = UNITS.findIndex(([scale]) => Math.abs(n) < scale) - 1;
  if (index === -2) index = UNITS.length - 1; // beyond the largest unit
  const unit = UNITS[index];
  if (unit === undefined) return String(n);
  const next = UNITS[index + 1];
  // Rounding may reach the next unit: 999,999 is "1.00 M", not "1000.00 K".
  const [scale, suffix] = next && Math.abs(Number((n / unit[0]).toFixed(digits))) >= 1000 ? next : unit;
  return `${(n / scale).toFixed(digits)} ${suffix}`;
}

/** An integer with thousands separators: 3538984 -> "3,538,984". */
function withSeparators(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function formatShape(shape: tf.Shape | tf.Shape[]): string {
  const list = shape.length > 0 && shape.every((s) => Array.isArray(s)) ? (shape as tf.Shape[]) : [shape as tf.Shape];
  return list.map((s) => `[${s.map((d) => (d === null ? 'null' : String(d))).join(',')}]`).join(' ');
}

/** Options of `summary`. */
export interface SummaryOptions {
  /** A profile of the same model, when the caller already has one. Default: `profile(model)`. */
  profile?: ModelProfile;
}

const HEADER = ['Layer', 'Class', 'Output shape', 'Params', 'MACs'] as const;
const RIGHT_ALIGNED = new Set([3, 4]);

/**
 * A text table of `model`: one row per layer (name, class, output shape, params, MACs) and the
 * totals below it (total / trainable / non-trainable params, MACs), plus the class names whose
 * MACs are unknown when there are any.
 */
export function summary(model: tf.LayersModel, options: SummaryOptions = {}): string {
  const p = options.profile ?? profile(model);
  const rows = p.layers.map((l) => [l.name, l.className, formatShape(l.outputShape), withSeparators(l.params), formatCount(l.macs)]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (RIGHT_ALIGNED.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const width = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const lines = [
    `Model: ${model.name}`,
    '='.repeat(width),
    line(HEADER),
    '-'.repeat(width),
    ...rows.map(line),
    '='.repeat(width),
    `Total params: ${withSeparators(p.totalParams)} (${formatCount(p.totalParams)})`,
    `Trainable params: ${withSeparators(p.trainableParams)} (${formatCount(p.trainableParams)})`,
    `Non-trainable params: ${withSeparators(p.nonTrainableParams)} (${formatCount(p.nonTrainableParams)})`,
    `MACs: ${formatCount(p.macs)}`,
  ];
  if (p.unknownLayers.length > 0) lines.push(`MACs not counted for: ${p.unknownLayers.join(', ')}`);
  return lines.join('\n');
}
