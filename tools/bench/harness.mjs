// Shared timing helpers for the benchmarks: warm-up, then the median of repeated runs.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { cpus } from 'node:os';

/** Median milliseconds of `fn` (which returns a tensor, read back to force the work). */
export function medianMs(fn, { warmup = 2, runs = 7 } = {}) {
  const once = () => {
    const start = performance.now();
    // Return nothing from tidy: tidy walks a returned typed array element by element.
    tf.tidy(() => {
      fn().dataSync();
    });
    return performance.now() - start;
  };
  for (let i = 0; i < warmup; i++) once();
  const times = Array.from({ length: runs }, once).sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

export async function useBackend(name) {
  if (!(await tf.setBackend(name))) throw new Error(`cannot set backend ${name}`);
  await tf.ready();
}

export function machine() {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, Node ${process.versions.node}, tfjs ${tf.version.tfjs}`;
}

export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
