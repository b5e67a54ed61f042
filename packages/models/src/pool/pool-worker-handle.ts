// The main thread's side of one worker: numbered requests, replies matched to them, and every
// way a worker can fail (load error, uncaught exception, exit) turned into rejected promises.
import type { Worker } from 'node:worker_threads';
import type { PredictRequest, WorkerReply } from './protocol.js';

/** A shard's output as it comes back from a worker. */
export interface ShardResult {
  data: Float32Array;
  shape: number[];
}

interface Pending {
  resolve(result: ShardResult): void;
  reject(error: Error): void;
}

export class PoolWorkerHandle {
  /** Resolves with the model's input shape once the worker has loaded it. */
  readonly ready: Promise<(number | null)[]>;
  private resolveReady!: (inputShape: (number | null)[]) => void;
  private rejectReady!: (error: Error) => void;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Why this worker can no longer run anything (a crash, a load error, or `terminate`). */
  private failure: Error | undefined;

  constructor(
    private readonly worker: Worker,
    /** How errors name this worker, e.g. `pool worker 2 of 4`. */
    readonly label: string,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Whoever awaits `ready` sees the rejection; this keeps an unawaited one from being "unhandled".
    this.ready.catch(() => {});
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (error) => this.fail(new Error(`${label} crashed: ${error.message}`, { cause: error })));
    worker.on('messageerror', (error) => this.fail(new Error(`${label} sent a message that could not be read: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`${label} exited unexpectedly (exit code ${code})`)));
  }

  /** Runs the model on one shard; `data`'s buffer is transferred to the worker (detached here). */
  run(data: Float32Array, shape: number[]): Promise<ShardResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const request: PredictRequest = { type: 'predict', id, data, shape };
    return new Promise<ShardResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A worker keeps the process alive only while it has work (see `settle`).
      this.worker.ref();
      this.worker.postMessage(request, [data.buffer as ArrayBuffer]);
    });
  }

  /** Stops the worker; pending and later requests reject with `reason`. */
  async terminate(reason: Error): Promise<void> {
    this.fail(reason);
    await this.worker.terminate();
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type === 'ready') {
      this.resolveReady(reply.inputShape);
      this.worker.unref();
    } else if (reply.type === 'result') {
      this.settle(reply.id)?.resolve({ data: reply.data, shape: reply.shape });
    } else if (reply.id === undefined) {
      // Only a load error has no request id; the worker exits after sending it.
      this.fail(new Error(`${this.label} could not load the model: ${reply.message}`));
    } else {
      this.settle(reply.id)?.reject(new Error(`${this.label}: ${reply.message}`));
    }
  }

  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    this.pending.delete(id);
    // An idle worker does not keep the process alive, so a pool that is never closed still lets it exit.
    if (this.pending.size === 0) this.worker.unref();
    return entry;
  }

  /** The first failure wins: it rejects `ready` (if still loading) and every pending request. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectReady(error);
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }
}
