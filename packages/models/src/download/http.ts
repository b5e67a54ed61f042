// Requests with the retry policy every download shares: a network error or a 5xx/429 answer is
// retried with a doubling delay; any other answer is returned to the caller to judge.

import { abortError, isAbortError, sleep } from './abort.js';

/** A request answered with a status the caller cannot use. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A body that ended before the bytes the server announced (the connection dropped). */
export class IncompleteBodyError extends Error {
  override name = 'IncompleteBodyError';
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether a failed attempt is worth another: network errors (fetch's TypeError, a dropped
 * connection) and server-side statuses. */
export function isRetryable(error: unknown): boolean {
  if (isAbortError(error)) return false;
  if (error instanceof HttpError) return error.status >= 500 || error.status === 429;
  if (error instanceof IncompleteBodyError || error instanceof TypeError) return true;
  const code = (error as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'));
}

export interface RetryPolicy {
  retries: number;
  retryDelayMs: number;
  signal?: AbortSignal;
}

export function retryPolicy(options: { retries?: number; retryDelayMs?: number; signal?: AbortSignal }): RetryPolicy {
  const retries = options.retries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 500;
  if (!Number.isInteger(retries) || retries < 0) throw new Error(`\`retries\` must be a non-negative integer (got retries=${retries})`);
  if (!(retryDelayMs >= 0)) throw new Error(`\`retryDelayMs\` must be non-negative (got retryDelayMs=${retryDelayMs})`);
  return { retries, retryDelayMs, ...(options.signal ? { signal: options.signal } : {}) };
}

/**
 * Runs `attempt` until it succeeds, it fails with an error that is not retryable, or `retries`
 * attempts in a row failed without progress (`attempt` returns normally or throws; it reports
 * progress through `madeProgress`, which resets the count).
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: (madeProgress: () => void) => Promise<T>): Promise<T> {
  let failures = 0;
  for (;;) {
    if (policy.signal?.aborted) throw abortError(policy.signal);
    let progressed = false;
    try {
      return await attempt(() => (progressed = true));
    } catch (error) {
      if (policy.signal?.aborted) throw abortError(policy.signal);
      if (!isRetryable(error)) throw error;
      failures = progressed ? 1 : failures + 1;
      if (failures > policy.retries) throw error;
      await sleep(policy.retryDelayMs * 2 ** (failures - 1), policy.signal);
    }
  }
}

/** A 5xx or 429 answer as a retryable HttpError; other answers are returned. */
export function throwIfServerError(response: Response, what: string): Response {
  if (response.status >= 500 || response.status === 429) {
    throw new HttpError(`${what}: the server answered ${response.status} ${response.statusText}`, response.status, response.url);
  }
  return response;
}
