#!/usr/bin/env node
// Pack-and-install smoke test: packs every publishable package, installs the tarballs with
// @tensorflow/tfjs into a fresh npm project outside the workspace, and imports every entry point of
// every package from ESM and from CommonJS, as a user would.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pnpm } from '../package-check/pnpm.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'netblocks-smoke-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(tarballs);
mkdirSync(project);

/** Publishable packages: every packages/* that is not private, with its entry points. */
function publishablePackages() {
  return readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(root, 'packages', d.name))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private)
    .map(({ dir, pkg }) => ({
      dir,
      name: pkg.name,
      entries: Object.keys(pkg.exports ?? { '.': null })
        .filter((k) => !k.endsWith('.json'))
        .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`)),
    }));
}

function main() {
  const packages = publishablePackages();
  for (const { dir } of packages) pnpm(['pack', '--pack-destination', tarballs], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'netblocks-smoke', private: true, version: '1.0.0' }));
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '@tensorflow/tfjs@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0', ...files],
    { cwd: project, stdio: 'inherit' },
  );
  const entries = packages.flatMap((p) => p.entries);
  // Each entry must load in both module systems: a library entry must export something, a
  // `/register` entry (side effects only) must register at least one Netblocks class.
  const checker = (kind) => `function check(name, mod, tf) {
  if (name.endsWith('/register')) {
    const n = Object.keys(tf.serialization.SerializationMap.getMap().classNameMap).filter((k) => k.startsWith('Netblocks')).length;
    if (n === 0) throw new Error(name + ' registers nothing (${kind})');
    console.log('${kind} ok', name, n, 'classes registered so far');
  } else {
    const n = Object.keys(mod).length;
    if (n === 0) throw new Error(name + ' exports nothing (${kind})');
    console.log('${kind} ok', name, n, 'exports');
  }
}
`;
  const esm = entries.map((e, i) => `import * as m${i} from '${e}';\ncheck('${e}', m${i}, tf);`).join('\n');
  writeFileSync(join(project, 'esm.mjs'), `import * as tf from '@tensorflow/tfjs';\n${checker('esm')}${esm}\n`);
  const cjs = entries.map((e) => `check('${e}', require('${e}'), tf);`).join('\n');
  writeFileSync(join(project, 'cjs.cjs'), `const tf = require('@tensorflow/tfjs');\n${checker('cjs')}${cjs}\n`);
  execFileSync(process.execPath, ['esm.mjs'], { cwd: project, stdio: 'inherit' });
  execFileSync(process.execPath, ['cjs.cjs'], { cwd: project, stdio: 'inherit' });
  console.log(`smoke: ${packages.length} packages, ${entries.length} entry points import from ESM and CommonJS`);
}

try {
  main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
