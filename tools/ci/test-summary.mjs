#!/usr/bin/env node
// Adds up every package's vitest JSON report (written by the shared vitest preset, restored by nx
// from its cache when a package's tests did not rerun) into one closing line, and fails if any
// package that has tests has no report.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ['packages', 'tools']) {
  for (const d of readdirSync(join(root, group), { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const dir = join(root, group, d.name);
    const pkgFile = join(dir, 'package.json');
    if (!existsSync(pkgFile) || !JSON.parse(readFileSync(pkgFile, 'utf8')).scripts?.test) continue;
    const report = join(dir, '.vitest', 'results.json');
    if (!existsSync(report)) {
      missing.push(`${group}/${d.name}`);
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
  }
}
if (missing.length) {
  console.error(`test-summary: no test report for ${missing.join(', ')}`);
  failed += missing.length;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || skipped > 0 ? 1 : 0;
