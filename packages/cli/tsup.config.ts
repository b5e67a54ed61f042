import { defineTsupConfig } from '@netblocks/build-config/tsup';

export default {
  // `cli` is the `netblocks` bin (src/cli.ts starts with its `#!/usr/bin/env node` line).
  ...defineTsupConfig({ entry: { index: 'src/index.ts', cli: 'src/cli.ts' } }),
  // `import.meta.url` finds the mnist package's files and the bin: the shim gives the CJS build one.
  shims: true,
};
