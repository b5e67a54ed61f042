import type { Options } from 'tsup';

export interface NetblocksTsupOptions {
  /** Entry points, name -> source file. Default `{ index: 'src/index.ts' }`. */
  entry?: Record<string, string>;
  /** Extra modules to keep out of the bundle. */
  external?: (string | RegExp)[];
}

export declare function defineTsupConfig(options?: NetblocksTsupOptions): Options;
