// The one vitest preset every package's vitest.config.ts uses.
import { defineConfig } from 'vitest/config';

/** @param {import('./vitest').NetblocksVitestOptions} [options] */
export function defineVitestConfig(options = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      // TF.js kernels on the cpu backend are slow on 2 cores; model builds take seconds.
      testTimeout: options.testTimeout ?? 120_000,
      hookTimeout: options.testTimeout ?? 120_000,
      pool: 'forks',
      // nx already runs two packages at once on a 2-core machine.
      maxWorkers: options.maxWorkers ?? 1,
      // The JSON report feeds the workspace-wide "N passed, N failed" line (tools/ci/test-summary.mjs).
      reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
    },
  });
}
