import { UsageError } from '../errors.js';
import type { OptionValues } from './command.js';

/** `--name`'s string value, if given. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** `--name` as a number checked by `kind`; the error names the option and the value given. */
export function numberOption(values: OptionValues, name: string, kind: 'positive-int' | 'non-negative-int' | 'positive' | 'fraction' | 'rate'): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const ok = {
    'positive-int': Number.isInteger(value) && value > 0,
    'non-negative-int': Number.isInteger(value) && value >= 0,
    positive: Number.isFinite(value) && value > 0,
    fraction: value > 0 && value < 1,
    rate: value >= 0 && value < 1,
  }[kind];
  const must = {
    'positive-int': 'a positive integer',
    'non-negative-int': 'a non-negative integer',
    positive: 'a positive number',
    fraction: 'a number in (0, 1)',
    rate: 'a number in [0, 1)',
  }[kind];
  if (!ok) throw new UsageError(`--${name} must be ${must} (got --${name}=${raw})`);
  return value;
}

/** `--name` as one of `choices`. */
export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got --${name}=${raw})`);
  return raw as T;
}

/**
 * The positional arguments `required` (each must be given) then `optional`, by name; a missing or
 * an extra one is a usage error that shows the command's form.
 */
export function positionalArgs(command: string, positionals: string[], required: string[], optional: string[] = []): (string | undefined)[] {
  const form = `netblocks ${command} ${[...required.map((r) => `<${r}>`), ...optional.map((o) => `[${o}]`)].join(' ')}`;
  const missing = required[positionals.length];
  if (missing !== undefined) throw new UsageError(`missing <${missing}> (${form})`);
  const extra = positionals[required.length + optional.length];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (${form})`);
  return [...required, ...optional].map((_, i) => positionals[i]);
}
