import { defineTsupConfig } from '@netblocks/build-config/tsup';

export default {
  // `cli` is the `netblocks` bin (src/cli.ts starts with its `#!/usr/bin/env node` line).
  // `train-worker` is the entry of a data-parallel training thread, found beside the bundle (src/train/worker-file.ts).
  ...defineTsupConfig({ entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'train-worker': 'src/train/worker.ts' } }),
  // `import.meta.url` finds the mnist package's files, the bin and the training worker: the shim gives the CJS build one.
  shims: true,
};
