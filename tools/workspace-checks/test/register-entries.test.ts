import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspacePackages } from './workspace.js';

/**
 * Runs `script` in a fresh Node process inside the package directory (so the package imports
 * itself by name through its `exports`, as users' code does) and returns its JSON output.
 */
function runFresh(dir: string, script: string): unknown {
  const file = join(dir, '.register-check.mjs');
  writeFileSync(file, script);
  try {
    return JSON.parse(execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } finally {
    rmSync(file, { force: true });
  }
}

const LIST_REGISTERED = `const map = tf.serialization.SerializationMap.getMap().classNameMap;
const registered = Object.keys(map).filter((k) => k.startsWith('Netblocks')).sort();`;

const withRegister = workspacePackages().filter(({ pkg }) => !pkg.private && pkg.exports?.['./register'] !== undefined);

describe('a fresh process that imports only a package\'s register entry can load every layer it exports', () => {
  for (const { dir, pkg } of withRegister) {
    it(pkg.name, () => {
      expect(existsSync(join(dir, 'dist', 'register.js')), `${pkg.name} is not built`).toBe(true);
      // Classes the package exports, found by their Netblocks className.
      const exported = runFresh(
        dir,
        `import * as m from '${pkg.name}';
import * as tf from '@tensorflow/tfjs';
${LIST_REGISTERED}
const classes = Object.values(m).filter((v) => typeof v === 'function' && typeof v.className === 'string' && v.className.startsWith('Netblocks'));
console.log(JSON.stringify({ classNames: classes.map((c) => c.className).sort(), registered }));`,
      ) as { classNames: string[]; registered: string[] };
      // Importing the index alone registers nothing of this package: it has no side effects.
      for (const name of exported.classNames) expect(exported.registered, `${name} registered by the index`).not.toContain(name);
      const afterRegister = runFresh(
        dir,
        `import * as tf from '@tensorflow/tfjs';
import '${pkg.name}/register';
${LIST_REGISTERED}
console.log(JSON.stringify(registered));`,
      ) as string[];
      for (const name of exported.classNames) expect(afterRegister, `${name} not registered by ${pkg.name}/register`).toContain(name);
    });
  }
});
