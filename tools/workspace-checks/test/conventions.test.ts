import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspacePackages } from './workspace.js';

const publishable = workspacePackages().filter(({ pkg }) => !pkg.private);

describe('every publishable package follows the conventions (DESIGN.md)', () => {
  it('there are publishable packages', () => {
    expect(publishable.map((p) => p.pkg.name)).toContain('@netblocks/core');
  });

  for (const { dir, pkg } of publishable) {
    describe(pkg.name, () => {
      it('has TF.js as a peer dependency only, never bundled or installed as a dependency', () => {
        expect(pkg.peerDependencies?.['@tensorflow/tfjs']).toMatch(/^\^4\./);
        expect(pkg.dependencies?.['@tensorflow/tfjs']).toBeUndefined();
      });

      it('depends on other netblocks packages as workspace:^ dependencies, not peers', () => {
        for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
          if (name.startsWith('@netblocks/')) expect(range, name).toBe('workspace:^');
        }
        for (const name of Object.keys(pkg.peerDependencies ?? {})) expect(name.startsWith('@netblocks/'), name).toBe(false);
      });

      it('has an exports map with types first under import and require', () => {
        expect(pkg.type).toBe('module');
        const entries = Object.entries(pkg.exports ?? {}).filter(([k]) => !k.endsWith('package.json'));
        expect(entries.length).toBeGreaterThan(0);
        for (const [key, value] of entries) {
          const conditions = value as Record<string, Record<string, string>>;
          expect(Object.keys(conditions), key).toEqual(['import', 'require']);
          expect(Object.keys(conditions.import ?? {}), key).toEqual(['types', 'default']);
          expect(Object.keys(conditions.require ?? {}), key).toEqual(['types', 'default']);
          expect(conditions.require?.default, key).toMatch(/\.cjs$/);
          expect(conditions.require?.types, key).toMatch(/\.d\.cts$/);
        }
      });

      it('declares side effects only for the files that register layers or kernels', () => {
        const sideEffects = pkg.sideEffects;
        if (Array.isArray(sideEffects)) {
          for (const file of sideEffects) expect(file).toMatch(/register\.(c?js)$/);
        } else {
          expect(sideEffects).toBe(false);
        }
      });

      it('ships a README and a Node engine range', () => {
        expect(existsSync(join(dir, 'README.md'))).toBe(true);
        expect(pkg.engines?.node).toBeDefined();
      });
    });
  }
});
