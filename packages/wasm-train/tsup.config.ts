import { defineTsupConfig } from '@netblocks/build-config/tsup';

export default defineTsupConfig({ entry: { index: 'src/index.ts', register: 'src/register.ts' } });
