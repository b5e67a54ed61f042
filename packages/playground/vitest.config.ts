import { defineVitestConfig } from '@netblocks/build-config/vitest';

// One file: it builds the page and drives a real browser through every panel.
export default defineVitestConfig({ testTimeout: 180_000 });
