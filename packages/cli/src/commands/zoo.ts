import { formatCount } from '@netblocks/core';
import { formatTable } from '../inspect/table.js';
import { zooReport } from '../inspect/zoo.js';
import { createStepProgressBar } from '../progress.js';
import { TRAIN_BACKENDS } from '../train/config.js';
import type { Command } from './command.js';
import { choiceOption, numberOption, positionalArgs, stringOption } from './parse-values.js';

export const zooCommand: Command = {
  name: 'zoo',
  summary: 'the zoo report: build every model, count parameters and MACs, time batch-1 inference',
  usage: 'netblocks zoo [--filter pattern] [--runs n] [--backend wasm|cpu] [--json]',
  options: {
    filter: { type: 'string', value: 'pattern', description: "only the models matching: a part of the name, or a pattern with * wildcards ('shufflenet*')" },
    runs: { type: 'string', value: 'n', description: 'timed predictions per model after one warm-up; the median is reported (default 5)' },
    backend: { type: 'string', value: TRAIN_BACKENDS.join('|'), description: 'TF.js backend (default wasm)' },
  },
  examples: ["netblocks zoo --filter 'shufflenet_v2*'", 'netblocks zoo --json > zoo.json'],
  async run(values, positionals, io) {
    positionalArgs('zoo', positionals, []);
    const pattern = stringOption(values, 'filter');
    const runs = numberOption(values, 'runs', 'positive-int');
    const report = await zooReport({
      ...(pattern === undefined ? {} : { pattern }),
      ...(runs === undefined ? {} : { runs }),
      backend: choiceOption(values, 'backend', TRAIN_BACKENDS) ?? 'wasm',
      onModel: createStepProgressBar(io.stderr),
    });
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const rows = [...report.models].sort((a, b) => a.macs - b.macs);
    const table = formatTable(
      ['model', 'input', 'params', 'MACs', 'ms (batch 1)', 'GMAC/s'],
      rows.map((r) => [r.name, String(r.inputSize), formatCount(r.params), formatCount(r.macs), r.latencyMs.toFixed(1), (r.macs / 1e6 / r.latencyMs).toFixed(2)]),
    );
    io.stdout.write(`${report.machine}; median of ${report.runs} runs after a warm-up\n\n${table.join('\n')}\n`);
    return 0;
  },
};
