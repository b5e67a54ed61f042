// Runs the pnpm that runs us (pnpm sets npm_execpath for scripts); outside pnpm, the pinned one via npx.
import { execFileSync } from 'node:child_process';

export function pnpm(args, options = {}) {
  const self = process.env.npm_execpath;
  if (self && /pnpm/.test(self)) return execFileSync(process.execPath, [self, ...args], { stdio: 'inherit', ...options });
  return execFileSync('npx', ['-y', 'pnpm@12.4.2', ...args], { stdio: 'inherit', ...options });
}
