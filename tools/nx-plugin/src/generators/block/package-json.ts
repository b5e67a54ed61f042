import type { BlockNames } from './names.js';

/** One entry point in the `exports` map: types first under both `import` and `require`. */
function entryPoint(name: string) {
  return {
    import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
    require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
  };
}

/**
 * package.json of a new block package, shaped like packages/core's: ESM + CJS builds from tsup,
 * the `register` entry as the only file with side effects, TF.js as a peer dependency and
 * `@netblocks/core` as a regular workspace dependency.
 */
export function blockPackageJson(blockNames: BlockNames, description: string) {
  return {
    name: blockNames.packageName,
    version: '0.0.0',
    description,
    license: 'Apache-2.0',
    engines: { node: '>=20' },
    type: 'module',
    sideEffects: ['./dist/register.js', './dist/register.cjs'],
    exports: {
      '.': entryPoint('index'),
      './register': entryPoint('register'),
      './package.json': './package.json',
    },
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', 'README.md'],
    keywords: ['tensorflow', 'tfjs', 'cnn', 'deep-learning', blockNames.fileName],
    scripts: {
      build: 'tsup',
      typecheck: 'tsc --noEmit -p tsconfig.json',
      lint: 'eslint src test',
      test: 'vitest run',
      'package-check': 'node ../../tools/package-check/check.mjs',
    },
    dependencies: {
      '@netblocks/core': 'workspace:^',
    },
    peerDependencies: {
      '@tensorflow/tfjs': '^4.22.0',
    },
    devDependencies: {
      '@netblocks/build-config': 'workspace:*',
      '@netblocks/test-utils': 'workspace:*',
      '@tensorflow/tfjs': '4.22.0',
    },
    nx: {
      tags: ['publishable', 'scope:block'],
    },
  };
}
