import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, workspacePackages } from './workspace.js';

interface Graph {
  graph: { nodes: Record<string, unknown>; dependencies: Record<string, { target: string }[]> };
}

let graph: Graph['graph'];
const tmp = mkdtempSync(join(tmpdir(), 'netblocks-graph-'));

beforeAll(() => {
  const file = join(tmp, 'graph.json');
  execFileSync(join(root, 'node_modules/.bin/nx'), ['graph', `--file=${file}`], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  graph = (JSON.parse(readFileSync(file, 'utf8')) as Graph).graph;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function internalDeps(project: string): string[] {
  return (graph.dependencies[project] ?? []).map((d) => d.target).filter((t) => t.startsWith('@netblocks/'));
}

describe('nx project graph (DESIGN.md: core <- blocks <- models <- cli)', () => {
  it('has core depended on by every other publishable package', () => {
    const others = workspacePackages()
      .filter(({ pkg }) => !pkg.private && pkg.name !== '@netblocks/core')
      .map(({ pkg }) => pkg.name);
    for (const name of others) expect(internalDeps(name), name).toContain('@netblocks/core');
    expect(internalDeps('@netblocks/core').filter((d) => !['@netblocks/build-config', '@netblocks/test-utils'].includes(d))).toEqual([]);
  });

  it('has no cycles', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'visiting') throw new Error(`cycle: ${[...path, node].join(' -> ')}`);
      state.set(node, 'visiting');
      for (const next of internalDeps(node)) visit(next, [...path, node]);
      state.set(node, 'done');
    };
    expect(() => Object.keys(graph.nodes).forEach((n) => visit(n, []))).not.toThrow();
  });

  it('never lets a package depend on the cli (tools such as the demo may use it)', () => {
    const packages = workspacePackages().map(({ pkg }) => pkg.name);
    for (const node of Object.keys(graph.nodes).filter((n) => packages.includes(n))) expect(internalDeps(node), node).not.toContain('@netblocks/cli');
  });
});
