// End to end: generates a block package, writes it into the real workspace, and builds, typechecks,
// lints and tests it with the workspace's own tools, then runs its README example on the build.
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { blockGenerator, blockPackageRoot } from './generator.js';

const WORKSPACE = path.resolve(import.meta.dirname, '../../../../..');
const BIN = path.join(WORKSPACE, 'node_modules', '.bin');
const PROBE_NAME = 'e2e-probe-block';
/**
 * The probe lives in tmp/ (git-ignored), two levels below the root like packages/<name>, so its
 * `../../tsconfig.base.json` and the root node_modules resolve exactly as they will for the real
 * package; but no `packages/*` reader sees it: not pnpm, not nx, and not the workspace checks and
 * smoke test that list packages/ and may run at the same time as this test.
 */
const PROBE_PARENT = path.join(WORKSPACE, 'tmp');
const PROBE_PREFIX = `${PROBE_NAME}-`;
/** Terminal colour codes, which a tool may print even when asked not to. */
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Runs `command` in `cwd` and returns its output; throws with the output when it fails. */
function run(cwd: string, command: string, args: string[]): string {
  // The nested vitest must not think it runs inside this one; plain text, whatever nx asks for.
  const inherited = Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'FORCE_COLOR');
  const env = { ...Object.fromEntries(inherited), NO_COLOR: '1' };
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.replace(ANSI_COLOR, '');
  if (result.status !== 0) {
    throw new Error(`\`${path.basename(command)} ${args.join(' ')}\` failed (status=${result.status}) in ${cwd}:\n${output}`);
  }
  return output;
}

/** Whether the process that owns a probe folder (its name ends in the pid) is still running. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes probe folders that a killed run left behind. */
function removeStaleProbes(): void {
  for (const entry of fs.existsSync(PROBE_PARENT) ? fs.readdirSync(PROBE_PARENT) : []) {
    if (!entry.startsWith(PROBE_PREFIX)) continue;
    const pid = Number(entry.slice(PROBE_PREFIX.length));
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) {
      fs.rmSync(path.join(PROBE_PARENT, entry), { recursive: true, force: true });
    }
  }
}

/** Removes the probe, and tmp/ too when nothing else is in it. */
function removeProbe(probe: string): void {
  fs.rmSync(probe, { recursive: true, force: true });
  try {
    fs.rmdirSync(PROBE_PARENT);
  } catch {
    // Not empty (someone else's files) or already gone: either way, not ours to remove.
  }
}

/** The workspace folder of every package, by package name. */
function workspacePackages(): Map<string, string> {
  const byName = new Map<string, string>();
  for (const folder of ['packages', 'tools']) {
    for (const entry of fs.readdirSync(path.join(WORKSPACE, folder))) {
      const manifest = path.join(WORKSPACE, folder, entry, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      byName.set(JSON.parse(fs.readFileSync(manifest, 'utf8')).name, path.join(WORKSPACE, folder, entry));
    }
  }
  return byName;
}

/** Links the probe's workspace dependencies into its node_modules, as `pnpm install` would;
 * everything else (TF.js, vitest, tsup) resolves from the workspace root's node_modules. */
function linkWorkspaceDependencies(probe: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(probe, 'package.json'), 'utf8'));
  const packages = workspacePackages();
  for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
    if (!String(range).startsWith('workspace:')) continue;
    const target = packages.get(name);
    if (target === undefined) throw new Error(`the probe depends on ${name}, which no workspace package is`);
    const link = path.join(probe, 'node_modules', name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(link), target), link, 'dir');
  }
}

/** Builds @netblocks/core when its dist is missing (nx builds it first, through ^build). */
function ensureCoreIsBuilt(): void {
  const core = path.join(WORKSPACE, 'packages', 'core');
  if (!fs.existsSync(path.join(core, 'dist', 'index.js')) || !fs.existsSync(path.join(core, 'dist', 'index.d.ts'))) {
    run(core, path.join(BIN, 'tsup'), []);
  }
}

/** The first ```js block of a README. */
function readmeExample(readme: string): string {
  const match = /```js\n([\s\S]*?)```/.exec(readme);
  if (!match?.[1]) throw new Error('the generated README has no ```js example');
  return match[1];
}

it('generates a package that builds, typechecks, lints, passes its tests and runs its README example', async () => {
  removeStaleProbes();
  ensureCoreIsBuilt();
  const tree = createTreeWithEmptyWorkspace();
  await blockGenerator(tree, { name: PROBE_NAME });
  const generatedRoot = `${blockPackageRoot(PROBE_NAME)}/`;
  const probe = path.join(PROBE_PARENT, `${PROBE_PREFIX}${process.pid}`);
  try {
    for (const change of tree.listChanges()) {
      if (!change.path.startsWith(generatedRoot) || change.content === null) continue;
      const file = path.join(probe, change.path.slice(generatedRoot.length));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, change.content);
    }
    linkWorkspaceDependencies(probe);

    run(probe, path.join(BIN, 'tsc'), ['--noEmit', '-p', 'tsconfig.json']);
    run(probe, path.join(BIN, 'eslint'), ['--max-warnings=0', 'src', 'test']);
    const tests = run(probe, path.join(BIN, 'vitest'), ['run']);
    expect(tests).toMatch(/Tests\s+11 passed \(11\)/);

    run(probe, path.join(BIN, 'tsup'), []);
    const manifest = JSON.parse(fs.readFileSync(path.join(probe, 'package.json'), 'utf8'));
    const exported: string[] = JSON.stringify(manifest.exports).match(/\.\/dist\/[^"]+/g) ?? [];
    for (const file of [...exported, ...manifest.sideEffects]) expect(fs.existsSync(path.join(probe, file)), file).toBe(true);

    // Run from inside the probe, the package imports itself by name (self-reference through
    // `exports`), so the example runs exactly as a user's would, on the built dist.
    fs.writeFileSync(path.join(probe, 'readme-example.mjs'), readmeExample(fs.readFileSync(path.join(probe, 'README.md'), 'utf8')));
    const printed = run(probe, process.execPath, ['readme-example.mjs']);
    expect(printed).toContain('[[[[1, 2, 3]');
    expect(printed).toContain('[[[[0.5, 0.5, 0.5]');
    // The CommonJS build, through `require`: both entries load and register the layer.
    const required = run(probe, process.execPath, [
      '-e',
      `const m = require('@netblocks/${PROBE_NAME}'); require('@netblocks/${PROBE_NAME}/register');` +
        `const tf = require('@tensorflow/tfjs'); console.log(JSON.stringify([typeof m.e2eProbeBlock, m.NetblocksE2eProbeBlock.className,` +
        `tf.serialization.SerializationMap.getMap().classNameMap.NetblocksE2eProbeBlock[0] === m.NetblocksE2eProbeBlock]))`,
    ]);
    // `true`: the class ./register registers is the very class `.` exports (one shared chunk).
    expect(required).toContain('["function","NetblocksE2eProbeBlock",true]');
  } finally {
    removeProbe(probe);
  }
  expect(fs.existsSync(probe)).toBe(false);
});
