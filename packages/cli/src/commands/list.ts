import { formatCount } from '@netblocks/core';
import { listModelFigures } from '../inspect/models.js';
import { listPretrainedCheckpoints } from '../inspect/pretrained.js';
import { formatTable } from '../inspect/table.js';
import type { CliIO, Command } from './command.js';
import { positionalArgs } from './parse-values.js';

function listCheckpoints(pattern: string | undefined, json: boolean, io: CliIO): number {
  const { checkpoints, without } = listPretrainedCheckpoints(pattern);
  if (json) {
    io.stdout.write(`${JSON.stringify({ checkpoints, without })}\n`);
    return 0;
  }
  const table = formatTable(
    ['checkpoint', 'classes', 'input', 'top-1', 'source'],
    checkpoints.map((c) => [`${c.name}${c.isDefault ? ' *' : ''}`, String(c.numClasses), String(c.inputSize), c.top1 === null ? '-' : c.top1.toFixed(2), c.source]),
  );
  const models = new Set(checkpoints.map((c) => c.model)).size;
  const lines = [...table, `${checkpoints.length} checkpoints for ${models} models (* the default; top-1: ImageNet-1k, as the source publishes it)`];
  if (without.length > 0) lines.push(`no published weights: ${without.map((w) => `${w.model} (${w.reason})`).join('; ')}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list the registered models (family, input size, parameters, MACs) or, with --pretrained, their published checkpoints',
  usage: 'netblocks list [pattern] [--pretrained] [--json]',
  positionals: [{ name: 'pattern', description: "optional: a part of the name ('shufflenet_v2'), or a whole-name pattern with * wildcards ('resnext*')" }],
  options: {
    pretrained: { type: 'boolean', description: 'list the published checkpoints (timm on the Hub, torchvision) with classes, input size, top-1 and source' },
  },
  examples: ['netblocks list', "netblocks list 'mobilenetv2*' --json", 'netblocks list resnet50 --pretrained'],
  async run(values, positionals, io) {
    const [pattern] = positionalArgs('list', positionals, [], ['pattern']);
    if (values.pretrained === true) return listCheckpoints(pattern, values.json === true, io);
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
