import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '@netblocks/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeakedTensors, expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { createModel } from '../src/index.js';
import { randomizeBatchNorms } from '@netblocks/test-utils';
import { startInferencePool } from '../src/pool/create-pool.js';
import { PoolWorkerHandle } from '../src/pool/pool-worker-handle.js';
import type { WorkerSetup } from '../src/pool/protocol.js';
import { shardRanges } from '../src/pool/shards.js';
import type { InferencePool } from '../src/pool/types.js';

// Vitest runs this package's TypeScript sources, but a worker thread is started by Node itself,
// which cannot load `.ts`: the pool here runs the BUILT worker entry, dist/pool-worker.js. The nx
// `test` target depends on this package's own `build`, so dist is current (run `npx tsup` first
// when calling vitest by hand). The public `createInferencePool`, which finds the worker beside
// itself, is checked from the built ESM and CJS entries in fresh Node processes at the end.
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT_WORKER = new URL('../dist/pool-worker.js', import.meta.url);
const SIZE = 64;
const CLASSES = 10;

useBackend('wasm');

/** Deterministic inputs, so that a separate process can build the same batch. */
function batchOf(rows: number): Float32Array {
  return Float32Array.from({ length: rows * SIZE * SIZE * 3 }, (_, i) => Math.sin(i * 0.37));
}

describe('shardRanges', () => {
  it('splits a batch into contiguous near-equal ranges, one per worker, fewer for a small batch', () => {
    expect(shardRanges(5, 2)).toEqual([{ start: 0, end: 3 }, { start: 3, end: 5 }]);
    expect(shardRanges(16, 3)).toEqual([{ start: 0, end: 6 }, { start: 6, end: 11 }, { start: 11, end: 16 }]);
    expect(shardRanges(1, 2)).toEqual([{ start: 0, end: 1 }]);
  });
});

describe('inference pool from a model directory', () => {
  let dir: string;
  let model: tf.LayersModel;
  let pool: InferencePool;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netblocks-pool-test-'));
    // ShuffleNet V2 holds netblocks' own layer classes: the workers must have them registered.
    model = createModel('shufflenet_v2_x0_5', { numClasses: CLASSES, inputShape: [SIZE, SIZE, 3] });
    randomizeBatchNorms(model);
    await saveModel(model, join(dir, 'model'));
    // Workers run the model through optimizeForInference (the default): the numbers must not change.
    pool = await startInferencePool(BUILT_WORKER, join(dir, 'model'), { workers: 2 });
  });

  afterAll(async () => {
    await pool.close();
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports its workers and the model input shape', () => {
    expect(pool.workers).toBe(2);
    expect(pool.inputShape).toEqual([null, SIZE, SIZE, 3]);
  });

  it.each([5, 1])('batch %i over 2 workers equals model.predict, without leaking tensors', async (rows) => {
    const x = tf.tensor(batchOf(rows), [rows, SIZE, SIZE, 3]);
    const expected = model.predict(x) as tf.Tensor;
    await expectNoLeakedTensors(async () => {
      const y = await pool.predict(x);
      expectTensorsClose(y, expected, 1e-5);
      return y;
    });
    expect(x.isDisposed).toBe(false);
    tf.dispose([x, expected]);
  });

  it('takes a batch as { data, shape } and leaves the caller its array', async () => {
    const data = batchOf(3);
    const y = await pool.predict({ data, shape: [3, SIZE, SIZE, 3] });
    const expected = tf.tidy(() => model.predict(tf.tensor(data, [3, SIZE, SIZE, 3])) as tf.Tensor);
    expectTensorsClose(y, expected, 1e-5);
    expect(data.length).toBe(3 * SIZE * SIZE * 3);
    tf.dispose([y, expected]);
  });

  it('rejects a batch of the wrong shape, naming both shapes', async () => {
    await expect(pool.predict({ data: new Float32Array(2 * 32 * 32 * 3), shape: [2, 32, 32, 3] })).rejects.toThrow(
      'x has shape [2,32,32,3], but the model takes [null,64,64,3]',
    );
    await expect(pool.predict({ data: new Float32Array(5), shape: [1, SIZE, SIZE, 3] })).rejects.toThrow(
      'x.data has 5 values, but x.shape [1,64,64,3] needs 12288',
    );
  });

  it('an error inside a worker rejects that request only; the worker goes on serving', async () => {
    const setup: WorkerSetup = { modelDir: join(dir, 'model'), backend: 'wasm', optimize: false };
    const worker = new Worker(BUILT_WORKER, { workerData: setup });
    const handle = new PoolWorkerHandle(worker, 'pool worker 1 of 1');
    try {
      await handle.ready;
      // The pool checks shapes before sending; sent straight to the worker, this one fails in predict.
      await expect(handle.run(new Float32Array(2 * 8 * 8 * 3), [2, 8, 8, 3])).rejects.toThrow(/^pool worker 1 of 1: .+/);
      const result = await handle.run(batchOf(1), [1, SIZE, SIZE, 3]);
      expect(result.shape).toEqual([1, CLASSES]);
    } finally {
      await handle.terminate(new Error('done'));
    }
  });

  it.each([
    ['ESM', `import(${JSON.stringify(new URL('../dist/node.js', import.meta.url).href)})`],
    ['CJS', `Promise.resolve(require(${JSON.stringify(fileURLToPath(new URL('../dist/node.cjs', import.meta.url)))}))`],
  ])('the built %s entry finds its worker and gives the same numbers', async (_format, load) => {
    const script = `
      const rows = 3, size = ${SIZE};
      const data = Float32Array.from({ length: rows * size * size * 3 }, (_, i) => Math.sin(i * 0.37));
      ${load}.then(async ({ createInferencePool }) => {
        const pool = await createInferencePool(process.argv[1], { workers: 2 });
        const y = await pool.predict({ data, shape: [rows, size, size, 3] });
        await pool.close();
        process.stdout.write(JSON.stringify({ shape: y.shape, values: Array.from(y.dataSync()) }));
      });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, join(dir, 'model')], { cwd: PACKAGE_ROOT });
    const { shape, values } = JSON.parse(stdout) as { shape: number[]; values: number[] };
    const expected = tf.tidy(() => model.predict(tf.tensor(batchOf(3), [3, SIZE, SIZE, 3])) as tf.Tensor);
    const y = tf.tensor(values, shape);
    expectTensorsClose(y, expected, 1e-5);
    tf.dispose([y, expected]);
  });
});

describe('inference pool from a registered name', () => {
  it('builds the model once, so that every worker has the same weights; frees it on this thread', async () => {
    const before = tf.memory().numTensors;
    const pool = await startInferencePool(BUILT_WORKER, 'mobilenetv2_035', {
      workers: 2,
      optimize: false,
      modelOptions: { numClasses: CLASSES, inputShape: [SIZE, SIZE, 3] },
    });
    expect(tf.memory().numTensors).toBe(before);
    try {
      // Rows [a, b, a, b]: worker 1 runs the first two rows, worker 2 the last two.
      const ab = batchOf(2);
      const data = new Float32Array(2 * ab.length);
      data.set(ab);
      data.set(ab, ab.length);
      const y = await pool.predict({ data, shape: [4, SIZE, SIZE, 3] });
      expect(y.shape).toEqual([4, CLASSES]);
      const [first, second] = tf.split(y, 2);
      expectTensorsClose(second as tf.Tensor, first as tf.Tensor, 1e-6);
      tf.dispose([y, first, second]);
    } finally {
      await pool.close();
    }
  });

  it('rejects modelOptions with a directory, and a name that is neither', async () => {
    await expect(startInferencePool(BUILT_WORKER, 'mobilenet_v3', { workers: 1 })).rejects.toThrow(
      /mobilenet_v3 is neither a model directory \(no such path\) nor a registered model name \(closest names: /,
    );
    await expect(startInferencePool(BUILT_WORKER, tmpdir(), { modelOptions: { numClasses: 3 } })).rejects.toThrow(
      `modelOptions apply to a registered model name, not to the model directory ${tmpdir()}`,
    );
  });
});

describe('inference pool failures', () => {
  it('a directory without a model rejects the creation, naming the path', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'netblocks-pool-empty-'));
    try {
      await expect(startInferencePool(BUILT_WORKER, empty, { workers: 2 })).rejects.toThrow(
        `could not load the model: Cannot load model from ${empty}: ${empty} has no model.json`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('rejects bad options, naming them', async () => {
    await expect(startInferencePool(BUILT_WORKER, 'mobilenetv2_035', { workers: 0 })).rejects.toThrow(
      'workers must be a positive integer (got 0)',
    );
    await expect(startInferencePool(BUILT_WORKER, 'mobilenetv2_035', { backend: 'webgl' as 'wasm' })).rejects.toThrow(
      'backend must be one of wasm, cpu (got "webgl")',
    );
  });

  it('predict after close rejects, and close is idempotent', async () => {
    const pool = await startInferencePool(BUILT_WORKER, 'mobilenetv2_035', {
      workers: 1,
      backend: 'cpu',
      modelOptions: { numClasses: CLASSES, inputShape: [32, 32, 3] },
    });
    await pool.close();
    await pool.close();
    await expect(pool.predict({ data: new Float32Array(32 * 32 * 3), shape: [1, 32, 32, 3] })).rejects.toThrow(
      'the pool is closed (close() was called)',
    );
  });

  /** A stand-in worker that says it is ready, then fails in `onMessage` on its first request. */
  function failingWorker(onMessage: string): PoolWorkerHandle {
    const code = `
      const { parentPort } = require('node:worker_threads');
      parentPort.on('message', () => { ${onMessage} });
      parentPort.postMessage({ type: 'ready', inputShape: [null, 1] });`;
    return new PoolWorkerHandle(new Worker(code, { eval: true }), 'pool worker 1 of 1');
  }

  it.each([
    ['exits', 'process.exit(3)', 'pool worker 1 of 1 exited unexpectedly (exit code 3)'],
    ['throws', "throw new Error('boom')", 'pool worker 1 of 1 crashed: boom'],
  ])('a worker that %s rejects the pending and later requests instead of hanging', async (_how, onMessage, message) => {
    const handle = failingWorker(onMessage);
    await expect(handle.ready).resolves.toEqual([null, 1]);
    await expect(handle.run(new Float32Array(1), [1, 1])).rejects.toThrow(message);
    await expect(handle.run(new Float32Array(1), [1, 1])).rejects.toThrow(message);
    await handle.terminate(new Error('done'));
  });
});
