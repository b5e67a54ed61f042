// A lock between processes that fetch the same file into the same cache: the lock file is created
// exclusively (O_EXCL) and holds the owner's pid and host. A lock left by a process that died (the
// pid is gone on this host) is taken over; a live one is waited for.

import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { abortError, sleep } from './abort.js';

export interface LockOptions {
  signal?: AbortSignal;
  /** Give up after this long waiting for another process. Default 30 minutes. */
  timeoutMs?: number;
  /** How often to look again. Default 100 ms. */
  pollMs?: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock's content names a process of this host that no longer runs. */
function isStale(content: string): boolean {
  const [pid, host] = content.trim().split(' ');
  const owner = Number(pid);
  return host === hostname() && Number.isInteger(owner) && owner > 0 && !isAlive(owner);
}

async function tryAcquire(path: string, token: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    await handle.writeFile(token);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Runs `task` holding the lock file at `path` (created with its parent folders), waiting while
 * another live process holds it. The lock is removed afterwards, whatever `task` does.
 */
export async function withFileLock<T>(path: string, task: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeout = options.timeoutMs ?? 30 * 60_000;
  const poll = options.pollMs ?? 100;
  const token = `${process.pid} ${hostname()} ${Math.random().toString(36).slice(2)}\n`;
  await mkdir(dirname(path), { recursive: true });
  const started = Date.now();
  while (!(await tryAcquire(path, token))) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const content = await readFile(path, 'utf8').catch(() => '');
    if (content && isStale(content)) {
      // Only remove it if it is still the same dead owner's.
      if ((await readFile(path, 'utf8').catch(() => '')) === content) await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() - started > timeout) {
      throw new Error(`waited ${Math.round(timeout / 1000)} s for ${path} (held by ${content.trim() || 'another process'}); remove it if no download is running`);
    }
    await sleep(poll, options.signal);
  }
  try {
    return await task();
  } finally {
    if ((await readFile(path, 'utf8').catch(() => '')) === token) await unlink(path).catch(() => undefined);
  }
}
