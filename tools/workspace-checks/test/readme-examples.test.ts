import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspacePackages } from './workspace.js';

/** The first ```js block under the README's "## Example" heading. */
function exampleOf(readme: string): string | null {
  const section = readme.split(/^## Example\s*$/m)[1];
  const match = section?.match(/```js\n([\s\S]*?)```/);
  return match?.[1] ?? null;
}

describe('every package README has an example that runs as written (on the built packages)', () => {
  for (const { dir, pkg } of workspacePackages().filter(({ pkg }) => !pkg.private)) {
    it(pkg.name, () => {
      const example = exampleOf(readFileSync(join(dir, 'README.md'), 'utf8'));
      expect(example, `${pkg.name}: README has no \`## Example\` with a js code block`).not.toBeNull();
      // Written inside the package, it imports the package by name through its own `exports`.
      const file = join(dir, '.readme-example.mjs');
      writeFileSync(file, example as string);
      try {
        execFileSync(process.execPath, [file], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
      } catch (error) {
        const e = error as { stderr?: Buffer; message: string };
        throw new Error(`${pkg.name}: README example failed:\n${e.stderr?.toString() ?? e.message}`);
      } finally {
        rmSync(file, { force: true });
      }
    });
  }
});
