import { defineTsupConfig } from '@netblocks/build-config/tsup';

export default defineTsupConfig({ entry: { index: 'src/index.ts', node: 'src/node/index.ts' } });
