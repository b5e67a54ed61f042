import { main } from '../../src/index.js';

/** What `netblocks ...` printed and returned, run in this process (faster than spawning the bin). */
export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `main(args)` with stdout and stderr captured (not a terminal: progress bars print one line per step). */
export async function runMain(...args: string[]): Promise<MainResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

/** Exit code 1 and exactly one line on stderr, no stack trace; returns the line. */
export function oneLineFailure(result: MainResult): string {
  const lines = result.stderr.trim().split('\n');
  if (result.code !== 1 || lines.length !== 1 || /^\s+at /m.test(result.stderr)) {
    throw new Error(`expected exit code 1 and one line on stderr, got ${result.code}:\n${result.stderr}`);
  }
  return lines[0] as string;
}
