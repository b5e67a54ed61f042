import { reparamSavedModel, REPARAM_TOLERANCE } from '../convert/reparam.js';
import { TRAIN_BACKENDS } from '../train/config.js';
import type { Command } from './command.js';
import { choiceOption, numberOption, positionalArgs } from './parse-values.js';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export const reparamCommand: Command = {
  name: 'reparam',
  summary: 'optimize a saved model for inference (RepVGG branches merged, BatchNorms folded), check its outputs, save it',
  usage: 'netblocks reparam <in-dir> <out-dir> [--batch n] [--json]',
  positionals: [
    { name: 'in-dir', description: 'a saved model directory (model.json and weight shards), e.g. runs/<model>/model' },
    { name: 'out-dir', description: 'where the optimized model goes (replaced as a whole; an existing directory must be empty or hold a model)' },
  ],
  options: {
    batch: { type: 'string', value: 'n', description: 'random images the outputs are compared on (default 4)' },
    backend: { type: 'string', value: TRAIN_BACKENDS.join('|'), description: 'TF.js backend (default wasm)' },
  },
  examples: ['netblocks reparam runs/repvgg/model runs/repvgg/deploy'],
  async run(values, positionals, io) {
    const [inDir, outDir] = positionalArgs('reparam', positionals, ['in-dir', 'out-dir']) as [string, string];
    const batch = numberOption(values, 'batch', 'positive-int');
    const r = await reparamSavedModel(inDir, outDir, {
      backend: choiceOption(values, 'backend', TRAIN_BACKENDS) ?? 'wasm',
      ...(batch === undefined ? {} : { batch }),
    });
    if (values.json === true) io.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      io.stdout.write(
        [
          `${r.inDir} -> ${r.passed ? r.outDir : '(not saved)'}`,
          `  layers  ${r.layers.before} -> ${r.layers.after}`,
          `  params  ${r.params.before.toLocaleString('en-US')} -> ${r.params.after.toLocaleString('en-US')}`,
          `  size    ${kib(r.bytes.before)} -> ${r.passed ? kib(r.bytes.after) : '-'}`,
          `  outputs max relative difference ${r.maxRelativeDifference.toExponential(2)} (tolerance ${REPARAM_TOLERANCE.toExponential(0)})`,
        ].join('\n') + '\n',
      );
    }
    if (!r.passed) {
      io.stderr.write(`netblocks reparam: the optimized model's outputs differ from the original's by ${r.maxRelativeDifference.toExponential(2)} (> ${r.tolerance}); nothing saved\n`);
      return 1;
    }
    return 0;
  },
};
