/**
 * The built worker entry beside this module: `dist/pool-worker.js` for the ESM build and
 * `dist/pool-worker.cjs` for the CJS one (tsup's `shims` turns `import.meta.url` into the CJS
 * file's own URL). Under vitest this module runs from `src/`, where no worker exists: tests pass
 * the built file to `startInferencePool` themselves.
 */
export function builtWorkerFile(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.cjs') ? './pool-worker.cjs' : './pool-worker.js', here);
}
