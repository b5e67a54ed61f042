import type { BatchProgress } from './train/loop.js';

/** Where the progress bar writes: a stream with an optional TTY flag (stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One line: `epoch 2/5 [########------------] 3200/8000  412 img/s  loss 0.231  acc 93.1%  ETA 12s`. */
export function formatProgress(p: BatchProgress, width = 20): string {
  const filled = Math.round((p.done / p.total) * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  const eta = p.done < p.total ? `ETA ${duration((p.total - p.done) / p.imagesPerSecond)}` : `in ${duration(p.seconds)}`;
  return (
    `epoch ${p.epoch}/${p.epochs} [${bar}] ${String(p.done).padStart(String(p.total).length)}/${p.total}  ` +
    `${p.imagesPerSecond.toFixed(0)} img/s  loss ${p.loss.toFixed(4)}  acc ${(100 * p.accuracy).toFixed(1)}%  ${eta}`
  );
}

/**
 * A progress bar per epoch. On a terminal it redraws one line (at most every `intervalMs`); into a
 * pipe or file it writes only each epoch's final line, so logs stay short.
 */
export function createProgressBar(stream: ProgressStream = process.stderr, intervalMs = 100): (p: BatchProgress) => void {
  let last = 0;
  return (p) => {
    const finished = p.done === p.total;
    if (!stream.isTTY) {
      if (finished) stream.write(`${formatProgress(p)}\n`);
      return;
    }
    const now = Date.now();
    if (!finished && now - last < intervalMs) return;
    last = now;
    stream.write(`\r\x1b[2K${formatProgress(p)}${finished ? '\n' : ''}`);
  };
}

/** Where a multi-item job (the zoo, a benchmark) stands after an item. */
export interface StepProgress {
  /** What the job is (`zoo`, `bench`). */
  label: string;
  done: number;
  total: number;
  /** The item just finished and its result, e.g. `mobilenetv2_035 12.3 ms`. */
  item: string;
  /** Seconds since the job started. */
  seconds: number;
}

/** One line: `zoo [########------------] 4/10  mobilenetv2_035 12.3 ms  ETA 30s`. */
export function formatStepProgress(p: StepProgress, width = 20): string {
  const filled = Math.round((p.done / p.total) * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  const eta = p.done < p.total ? `ETA ${duration((p.seconds / p.done) * (p.total - p.done))}` : `in ${duration(p.seconds)}`;
  return `${p.label} [${bar}] ${String(p.done).padStart(String(p.total).length)}/${p.total}  ${p.item}  ${eta}`;
}

/**
 * A progress bar over the items of a job. On a terminal it redraws one line per item; into a pipe
 * or file it writes one line per item (each takes seconds, so the log stays readable).
 */
export function createStepProgressBar(stream: ProgressStream = process.stderr): (p: StepProgress) => void {
  return (p) => {
    const finished = p.done === p.total;
    if (!stream.isTTY) stream.write(`${formatStepProgress(p)}\n`);
    else stream.write(`\r\x1b[2K${formatStepProgress(p)}${finished ? '\n' : ''}`);
  };
}

/** Where a download stands (the shape `@netblocks/models/node`'s downloads report). */
export interface DownloadProgressLike {
  file: string;
  received: number;
  total: number | undefined;
  resumedFrom: number;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** One line: `model.safetensors [########------------] 5.6/14.2 MB  3.1 MB/s  ETA 3s`. */
export function formatDownloadProgress(p: DownloadProgressLike, seconds: number, width = 20): string {
  const name = p.file.split('/').pop() ?? p.file;
  const rate = seconds > 0 ? (p.received - p.resumedFrom) / seconds : 0;
  if (p.total === undefined) return `${name} ${megabytes(p.received)}  ${megabytes(rate)}/s`;
  const filled = Math.round((Math.min(p.received, p.total) / p.total) * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  const eta = p.received < p.total ? `ETA ${duration(rate > 0 ? (p.total - p.received) / rate : Number.POSITIVE_INFINITY)}` : `in ${duration(seconds)}`;
  const resumed = p.resumedFrom > 0 ? `  (resumed at ${megabytes(p.resumedFrom)})` : '';
  return `${name} [${bar}] ${(p.received / 1e6).toFixed(1)}/${megabytes(p.total)}  ${megabytes(rate)}/s  ${eta}${resumed}`;
}

/**
 * A progress bar for downloads. On a terminal it redraws one line (at most every `intervalMs`); into
 * a pipe or file it writes only each file's last line.
 */
export function createDownloadProgressBar(stream: ProgressStream = process.stderr, intervalMs = 100): (p: DownloadProgressLike) => void {
  let last = 0;
  let started: { file: string; at: number } | undefined;
  return (p) => {
    const now = Date.now();
    if (started?.file !== p.file) started = { file: p.file, at: now };
    const seconds = (now - started.at) / 1000;
    const finished = p.total !== undefined && p.received >= p.total;
    if (!stream.isTTY) {
      if (finished) stream.write(`${formatDownloadProgress(p, seconds)}\n`);
      return;
    }
    if (!finished && now - last < intervalMs) return;
    last = now;
    stream.write(`\r\x1b[2K${formatDownloadProgress(p, seconds)}${finished ? '\n' : ''}`);
  };
}
