import { defineTsupConfig } from '@netblocks/build-config/tsup';

export default {
  ...defineTsupConfig({
    entry: { index: 'src/index.ts', register: 'src/register.ts', node: 'src/node.ts', 'pool-worker': 'src/pool/worker.ts' },
  }),
  // The pool finds its worker file beside itself through `import.meta.url`: the shim gives the CJS build one.
  shims: true,
};
