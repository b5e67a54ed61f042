import type { Tree } from '@nx/devkit';
import { readJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { blockGenerator } from './generator.js';
import { blockNames, validateBlockName } from './names.js';

const ROOT = 'packages/se-block';

/** Reads a generated text file, failing the test when it is missing. */
function read(tree: Tree, path: string): string {
  const content = tree.read(path, 'utf-8');
  if (content === null) throw new Error(`expected ${path} to be generated`);
  return content;
}

describe('blockNames', () => {
  it('derives every name from the kebab-case name', () => {
    expect(blockNames('se-block')).toEqual({
      fileName: 'se-block',
      packageName: '@netblocks/se-block',
      pascalName: 'SeBlock',
      opName: 'seBlock',
      layerClassName: 'NetblocksSeBlock',
      title: 'Se Block',
    });
    expect(blockNames('repvgg2d').layerClassName).toBe('NetblocksRepvgg2d');
  });
});

describe('validateBlockName', () => {
  it('accepts kebab-case names with digits', () => {
    for (const name of ['se-block', 'mlp-mixer', 'conv2d', 'group-conv-v2']) {
      expect(validateBlockName(name)).toBe(name);
    }
  });

  it('rejects names that are not kebab-case, naming the value and the fix', () => {
    expect(() => validateBlockName('SeBlock')).toThrow('(got name="SeBlock"); did you mean "se-block"?');
    expect(() => validateBlockName('se_block')).toThrow('(got name="se_block"); did you mean "se-block"?');
    expect(() => validateBlockName('se block')).toThrow('`name` must be kebab-case');
    for (const name of ['2d-conv', '-se', 'se-', 'se--block', '@netblocks/se', 'se.block']) {
      expect(() => validateBlockName(name)).toThrow(`(got name=${JSON.stringify(name)})`);
    }
  });

  it('rejects an empty or missing name', () => {
    expect(() => validateBlockName('')).toThrow('`name` is required');
    expect(() => validateBlockName(undefined)).toThrow('(got name=undefined)');
  });

  it('rejects names that would make the op a reserved word', () => {
    expect(() => validateBlockName('delete')).toThrow('"delete", a JavaScript reserved word (got name="delete")');
  });
});

describe('block generator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('writes the package layout and a changeset', async () => {
    await blockGenerator(tree, { name: 'se-block' });
    const written = tree
      .listChanges()
      .map((change) => change.path)
      .filter((path) => path.startsWith(`${ROOT}/`) || path.startsWith('.changeset/'))
      .sort();
    expect(written).toEqual([
      '.changeset/se-block-initial.md',
      `${ROOT}/README.md`,
      `${ROOT}/package.json`,
      `${ROOT}/src/index.ts`,
      `${ROOT}/src/op.ts`,
      `${ROOT}/src/register.ts`,
      `${ROOT}/src/se-block-layer.ts`,
      `${ROOT}/test/se-block.test.ts`,
      `${ROOT}/tsconfig.json`,
      `${ROOT}/tsup.config.ts`,
      `${ROOT}/vitest.config.ts`,
    ]);
    for (const path of written) expect(read(tree, path)).not.toMatch(/<%|%>|__tmpl__|__fileName__/);
  });

  it('writes a package.json shaped like the other publishable packages', async () => {
    await blockGenerator(tree, { name: 'se-block', description: 'Squeeze-and-excitation' });
    const pkg = readJson(tree, `${ROOT}/package.json`);
    expect(pkg).toMatchObject({
      name: '@netblocks/se-block',
      version: '0.0.0',
      description: 'Squeeze-and-excitation',
      license: 'Apache-2.0',
      engines: { node: '>=20' },
      type: 'module',
      main: './dist/index.cjs',
      module: './dist/index.js',
      types: './dist/index.d.ts',
      files: ['dist', 'README.md'],
      scripts: {
        build: 'tsup',
        typecheck: 'tsc --noEmit -p tsconfig.json',
        lint: 'eslint src test',
        test: 'vitest run',
        'package-check': 'node ../../tools/package-check/check.mjs',
      },
      dependencies: { '@netblocks/core': 'workspace:^' },
      peerDependencies: { '@tensorflow/tfjs': '^4.22.0' },
      devDependencies: {
        '@netblocks/build-config': 'workspace:*',
        '@netblocks/test-utils': 'workspace:*',
        '@tensorflow/tfjs': '4.22.0',
      },
      nx: { tags: ['publishable', 'scope:block'] },
    });
    expect(pkg.sideEffects).toEqual(['./dist/register.js', './dist/register.cjs']);
    expect(Object.keys(pkg.exports)).toEqual(['.', './register', './package.json']);
    for (const entry of ['index', 'register']) {
      const conditions = pkg.exports[entry === 'index' ? '.' : `./${entry}`];
      // types first under both conditions, as publint and are-the-types-wrong require
      expect(conditions).toEqual({
        import: { types: `./dist/${entry}.d.ts`, default: `./dist/${entry}.js` },
        require: { types: `./dist/${entry}.d.cts`, default: `./dist/${entry}.cjs` },
      });
      expect(Object.keys(conditions.import)[0]).toBe('types');
      expect(Object.keys(conditions.require)[0]).toBe('types');
    }
  });

  it('names the layer class, its className, the op and the files after the block', async () => {
    await blockGenerator(tree, { name: 'se-block' });
    const layer = read(tree, `${ROOT}/src/se-block-layer.ts`);
    expect(layer).toContain('export class NetblocksSeBlock extends tf.layers.Layer {');
    expect(layer).toContain("static className = 'NetblocksSeBlock';");
    expect(layer).toContain('export interface SeBlockArgs extends LayerArgs {');
    expect(layer).toContain('return seBlock(x, this.scale.read() as tf.Tensor1D);');
    expect(read(tree, `${ROOT}/src/op.ts`)).toContain('export function seBlock(x: tf.Tensor, scale: tf.Tensor1D): tf.Tensor {');
    expect(read(tree, `${ROOT}/src/register.ts`)).toContain(
      "import { registerNetblocksClass } from '@netblocks/core';\nimport { NetblocksSeBlock } from './se-block-layer.js';\n\nregisterNetblocksClass(NetblocksSeBlock);",
    );
    expect(read(tree, `${ROOT}/tsup.config.ts`)).toContain("entry: { index: 'src/index.ts', register: 'src/register.ts' }");
  });

  it('keeps the index free of side effects', async () => {
    await blockGenerator(tree, { name: 'se-block' });
    expect(read(tree, `${ROOT}/src/index.ts`)).toBe(
      "export { seBlock } from './op.js';\n" +
        "export { NetblocksSeBlock } from './se-block-layer.js';\n" +
        "export type { SeBlockArgs } from './se-block-layer.js';\n",
    );
  });

  it('writes tests that cover the standard checks and import register', async () => {
    await blockGenerator(tree, { name: 'se-block' });
    const test = read(tree, `${ROOT}/test/se-block.test.ts`);
    expect(test).toContain("import '../src/register.js';");
    for (const helper of ['expectLayerRoundTrip(', 'expectModelRoundTrip(', 'expectNoLeakedTensors(', 'countParams()', 'tf.grads(']) {
      expect(test).toContain(helper);
    }
    expect(test).toContain('function naiveSeBlock(');
  });

  it('writes a README with the title, a paper placeholder and an example, and a minor changeset', async () => {
    await blockGenerator(tree, { name: 'se-block', description: "Squeeze & excitation: 'SE' blocks." });
    const readme = read(tree, `${ROOT}/README.md`);
    expect(readme.startsWith('# @netblocks/se-block\n\nSqueeze & excitation: \'SE\' blocks.\n')).toBe(true);
    expect(readme).toContain('**Paper:**');
    expect(readme).toContain("import { NetblocksSeBlock, seBlock } from '@netblocks/se-block';");
    expect(readme).toContain("import '@netblocks/se-block/register';");
    expect(read(tree, '.changeset/se-block-initial.md')).toBe(
      "---\n'@netblocks/se-block': minor\n---\n\nAdd `@netblocks/se-block`: Squeeze & excitation: 'SE' blocks.\n",
    );
  });

  it('defaults the description to the name in words', async () => {
    await blockGenerator(tree, { name: 'group-conv' });
    expect(readJson(tree, 'packages/group-conv/package.json').description).toBe('Group Conv for netblocks');
  });

  it('refuses a bad name before writing anything', async () => {
    const before = tree.listChanges().length;
    await expect(blockGenerator(tree, { name: 'SE-Block' })).rejects.toThrow('(got name="SE-Block"); did you mean');
    expect(tree.listChanges()).toHaveLength(before);
  });

  it('refuses a name whose folder already exists', async () => {
    tree.write(`${ROOT}/notes.md`, 'taken');
    await expect(blockGenerator(tree, { name: 'se-block' })).rejects.toThrow(
      '`name` is taken: packages/se-block already exists (got name="se-block")',
    );
  });

  it('refuses a name another workspace package already has', async () => {
    tree.write('tools/build-config/package.json', JSON.stringify({ name: '@netblocks/build-config' }));
    await expect(blockGenerator(tree, { name: 'build-config' })).rejects.toThrow(
      '`name` is taken: @netblocks/build-config is already the package in tools/build-config (got name="build-config")',
    );
  });

  it('refuses a name whose changeset already exists', async () => {
    tree.write('.changeset/se-block-initial.md', '---\n---\n');
    await expect(blockGenerator(tree, { name: 'se-block' })).rejects.toThrow('.changeset/se-block-initial.md already exists');
  });
});
