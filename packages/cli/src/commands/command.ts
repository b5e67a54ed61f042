import type { ProgressStream } from '../progress.js';

/** One option of a command, for `node:util` parseArgs and for its `--help`. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in the help (`--epochs <n>`). */
  value?: string;
  description: string;
}

/** Where a command writes: results on stdout, progress and messages on stderr. */
export interface CliIO {
  stdout: ProgressStream;
  stderr: ProgressStream;
}

export type OptionValues = Record<string, string | boolean | undefined>;

/** A `netblocks` sub-command. Add one by writing this object and listing it in `COMMANDS`. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** `netblocks train <model> --data <mnist|dir> [options]` */
  usage: string;
  /** Positional arguments the command takes, for its help. */
  positionals?: { name: string; description: string }[];
  options: Record<string, OptionSpec>;
  /** Example command lines shown by `--help`. */
  examples: string[];
  /** Runs the command; resolves to the exit code. Throws `UsageError` for bad input. */
  run(values: OptionValues, positionals: string[], io: CliIO): Promise<number>;
}
