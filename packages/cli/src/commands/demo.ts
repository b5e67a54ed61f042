import { DEMO_RUN, formatDemoReport, runDemo } from '../demo/run-demo.js';
import { createProgressBar } from '../progress.js';
import type { Command } from './command.js';
import { stringOption } from './parse-values.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: `train ${DEMO_RUN.model} on the MNIST digits, optimize, save, reload in a fresh process, report`,
  usage: 'netblocks demo [--quick] [--out <dir>] [--json]',
  options: {
    quick: { type: 'boolean', description: 'the shortened run: one small epoch on 300 digits (for CI)' },
    out: { type: 'string', value: 'dir', description: 'where the run and the optimized model go (default a new temp directory)' },
  },
  examples: ['netblocks demo', 'netblocks demo --quick --json'],
  async run(values, _positionals, io) {
    const out = stringOption(values, 'out');
    const report = await runDemo({
      quick: values.quick === true,
      ...(out === undefined ? {} : { outDir: out }),
      onBatch: createProgressBar(io.stderr),
      log: (message) => io.stderr.write(`${message}\n`),
    });
    io.stdout.write(values.json === true ? `${JSON.stringify(report)}\n` : `${formatDemoReport(report)}\n`);
    return report.passed ? 0 : 1;
  },
};
