import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built training-worker entry: beside this module in the build (`dist/train-worker.js`, or
 * `.cjs` for the CJS build: tsup's `shims` gives that one an `import.meta.url`). Under vitest this
 * module runs from `src/train/`, and a worker thread, started by Node itself, cannot load `.ts`:
 * the tests use the package's built entry, `dist/train-worker.js` (build first: `npx tsup`).
 */
export function trainWorkerFile(): URL {
  const here = import.meta.url;
  const file = here.endsWith('.ts') ? new URL('../../dist/train-worker.js', here) : new URL(here.endsWith('.cjs') ? './train-worker.cjs' : './train-worker.js', here);
  if (file.protocol === 'file:' && !existsSync(fileURLToPath(file))) {
    throw new Error(`the training worker ${fileURLToPath(file)} is missing (build @netblocks/cli first: npx tsup)`);
  }
  return file;
}
