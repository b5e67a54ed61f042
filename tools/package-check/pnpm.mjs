// Runs the pnpm that runs us (pnpm sets npm_execpath for scripts: a JS file in older pnpm, a native
// executable in pnpm 12); outside pnpm, the pinned version through npx.
import { execFileSync } from 'node:child_process';

export function pnpm(args, options = {}) {
  const self = process.env.npm_execpath;
  const opts = { stdio: 'inherit', ...options };
  if (self && /pnpm/.test(self)) {
    return /\.[cm]?js$/.test(self) ? execFileSync(process.execPath, [self, ...args], opts) : execFileSync(self, args, opts);
  }
  return execFileSync('npx', ['-y', 'pnpm@12.4.2', ...args], opts);
}
