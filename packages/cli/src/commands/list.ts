import { formatCount } from '@netblocks/core';
import { listModelFigures } from '../inspect/models.js';
import { formatTable } from '../inspect/table.js';
import type { Command } from './command.js';
import { positionalArgs } from './parse-values.js';

export const listCommand: Command = {
  name: 'list',
  summary: 'list the registered models: family, default input size, parameters and MACs (reference figures)',
  usage: 'netblocks list [pattern] [--json]',
  positionals: [{ name: 'pattern', description: "optional: a part of the name ('shufflenet_v2'), or a whole-name pattern with * wildcards ('resnext*')" }],
  options: {},
  examples: ['netblocks list', "netblocks list 'mobilenetv2*' --json"],
  async run(values, positionals, io) {
    const [pattern] = positionalArgs('list', positionals, [], ['pattern']);
    const rows = listModelFigures(pattern);
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    const table = formatTable(
      ['model', 'family', 'input', 'params', 'MACs'],
      rows.map((r) => [r.name, r.family, String(r.inputSize), formatCount(r.params), r.macs === null ? '-' : formatCount(r.macs)]),
    );
    io.stdout.write(`${table.join('\n')}\n${rows.length} models (figures of the reference networks at their default input size)\n`);
    return 0;
  },
};
