#!/usr/bin/env node
// Checks one publishable package as npm users will get it: packs it with pnpm (which rewrites
// `workspace:` ranges), then runs publint --strict and are-the-types-wrong on the tarball.
// Run from the package's directory (nx runs it as the package's `package-check` target).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pnpm } from './pnpm.mjs';

const packageDir = process.cwd();
const outDir = mkdtempSync(join(tmpdir(), 'netblocks-pack-'));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: packageDir, stdio: 'inherit' });

try {
  pnpm(['pack', '--pack-destination', outDir], { cwd: packageDir });
  const tarball = readdirSync(outDir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`pnpm pack wrote no tarball into ${outDir}`);
  const path = join(outDir, tarball);
  run('publint', ['run', path, '--strict', '--pack', 'false']);
  run('attw', [path, '--profile', 'node16', '--format', 'table-flipped']);
} catch (err) {
  console.error(`package-check failed for ${packageDir}: ${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
