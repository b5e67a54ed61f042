import type { UserConfig } from 'vitest/config';

export interface NetblocksVitestOptions {
  /** Per-test timeout in ms. Default 120000. */
  testTimeout?: number;
  /** Test files run at once in this package. Default 1. */
  maxWorkers?: number;
}

export declare function defineVitestConfig(options?: NetblocksVitestOptions): UserConfig;
