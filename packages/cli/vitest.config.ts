import { defineVitestConfig } from '@netblocks/build-config/vitest';

export default defineVitestConfig();
