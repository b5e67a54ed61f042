// The one tsup configuration every publishable package uses: ESM + CJS + .d.ts,
// TF.js and our own packages kept external (one TF.js instance per application).
import { defineConfig } from 'tsup';

/** @param {import('./tsup').NetblocksTsupOptions} [options] */
export function defineTsupConfig(options = {}) {
  const entry = options.entry ?? { index: 'src/index.ts' };
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    // One shared chunk per format: the class `./register` registers is the one `.` exports.
    splitting: true,
    treeshake: true,
    // Keep the `node:` prefix on builtins: bundlers for the browser then know to leave them alone.
    removeNodeProtocol: false,
    external: [/^@tensorflow\//, /^@netblocks\//, /^node:/, ...(options.external ?? [])],
  });
}
