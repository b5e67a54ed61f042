import { parseArgs } from 'node:util';
import type { CliIO, Command, OptionSpec } from './commands/command.js';
import { benchCommand } from './commands/bench.js';
import { classifyCommand } from './commands/classify.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { listCommand } from './commands/list.js';
import { pullCommand } from './commands/pull.js';
import { reparamCommand } from './commands/reparam.js';
import { summaryCommand } from './commands/summary.js';
import { trainCommand } from './commands/train.js';
import { zooCommand } from './commands/zoo.js';
import { UsageError } from './errors.js';

/** Every `netblocks` command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  listCommand,
  pullCommand,
  summaryCommand,
  zooCommand,
  benchCommand,
  classifyCommand,
  trainCommand,
  evalCommand,
  reparamCommand,
  importCommand,
  exportCommand,
  demoCommand,
];

/** Options every command takes. */
const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print the result as JSON on stdout (one line)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

function optionLine(name: string, spec: OptionSpec): string {
  const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` <${spec.value}>` : ''}`;
  return `  ${flag.padEnd(36)} ${spec.description}`;
}

/** The help of one command: usage, arguments, options, examples. */
export function commandHelp(command: Command): string {
  const lines = [`${command.summary}`, '', `Usage: ${command.usage}`];
  if (command.positionals?.length) lines.push('', 'Arguments:', ...command.positionals.map((p) => `  ${`<${p.name}>`.padEnd(36)} ${p.description}`));
  lines.push('', 'Options:', ...Object.entries({ ...command.options, ...COMMON_OPTIONS }).map(([n, s]) => optionLine(n, s)));
  lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

/** The list of commands. */
export function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'netblocks: list, download, inspect, benchmark, train, evaluate, optimize and convert the netblocks networks',
    '',
    'Usage: netblocks <command> [options]   (netblocks <command> --help for its options)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    '',
    'Examples:',
    '  netblocks list shufflenet',
    '  netblocks pull mobilenetv2_100',
    '  netblocks train mobilenetv2_035 --data mnist --epochs 3 --fit pad',
    '  netblocks export runs/mobilenetv2_035/model --onnx mnist.onnx',
    '',
  ].join('\n');
}

function parse(command: Command, args: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries({ ...command.options, ...COMMON_OPTIONS }).map(([name, spec]) => [name, spec.short ? { type: spec.type, short: spec.short } : { type: spec.type }]),
  );
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    // parseArgs' messages ("Unknown option '--x'", "Option '--epochs <value>' argument missing") are one line.
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see netblocks ${command.name} --help)`);
  }
}

/**
 * Runs `netblocks` with `argv` (the arguments after the program name) and resolves to the exit
 * code: 0 on success, 1 on bad input or failure, with a one-line reason on stderr and no stack
 * trace (set NETBLOCKS_DEBUG=1 to see it).
 */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic ? commandHelp(topic) : globalHelp());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const { values, positionals } = parse(command, rest);
    if (values.help === true) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(values, positionals, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`netblocks${command ? ` ${command.name}` : ''}: ${message.split('\n')[0]}\n`);
    if (process.env.NETBLOCKS_DEBUG && error instanceof Error && !(error instanceof UsageError)) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
