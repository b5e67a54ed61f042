import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, workspacePackages } from './workspace.js';

const dir = join(root, '.changeset');
const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
  fixed: string[][];
  privatePackages: { version: boolean; tag: boolean };
};
const packages = workspacePackages().filter(({ pkg }) => !pkg.private);
const publishable = packages.map(({ pkg }) => pkg.name);
const unreleased = packages.filter(({ dir }) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version === '0.0.0').map(({ pkg }) => pkg.name);

describe('changesets', () => {
  it('versions every publishable package as one fixed group while 0.x, private packages never', () => {
    expect(config.fixed).toEqual([['@netblocks/*']]);
    expect(config.privatePackages).toEqual({ version: false, tag: false });
    for (const name of publishable) expect(name.startsWith('@netblocks/'), name).toBe(true);
  });

  it('has pending changesets that name only publishable packages, with a valid bump', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
        const named = new Set<string>();
    for (const file of files) {
      const frontMatter = readFileSync(join(dir, file), 'utf8').match(/^---\n([\s\S]*?)\n---/)?.[1];
      expect(frontMatter, `${file} has no front matter`).toBeDefined();
      for (const line of (frontMatter as string).split('\n').filter(Boolean)) {
        const match = line.match(/^'(.+)': (major|minor|patch)$/);
        expect(match, `${file}: ${line}`).not.toBeNull();
        expect(publishable, `${file} names ${match?.[1]}`).toContain(match?.[1]);
        named.add(match?.[1] as string);
      }
    }
    // Every package that has never been released (version 0.0.0) is announced by a changeset.
    for (const name of unreleased) expect(named, `no changeset for ${name}`).toContain(name);
  });
});
