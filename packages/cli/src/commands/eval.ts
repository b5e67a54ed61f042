import { UsageError } from '../errors.js';
import { TRAIN_BACKENDS } from '../train/config.js';
import { evaluateSavedModel } from '../train/evaluate-saved.js';
import type { Command } from './command.js';
import { choiceOption, numberOption, stringOption } from './parse-values.js';
import { TRAIN_OPTIONS } from './train.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: "evaluate a saved model on the held-out split of MNIST or an image folder",
  usage: 'netblocks eval <model-dir> --data <mnist|dir> [options]',
  positionals: [{ name: 'model-dir', description: 'a directory written by saveModel (model.json and weight shards), e.g. runs/<model>/model' }],
  options: {
    data: TRAIN_OPTIONS.data,
    fit: TRAIN_OPTIONS.fit,
    'test-fraction': TRAIN_OPTIONS['test-fraction'],
    'test-per-class': TRAIN_OPTIONS['test-per-class'],
    backend: TRAIN_OPTIONS.backend,
  },
  examples: ['netblocks eval runs/mnist/model --data mnist --fit pad --json'],
  async run(values, positionals, io) {
    const [dir, ...extra] = positionals;
    if (dir === undefined) throw new UsageError('missing the model directory (netblocks eval <model-dir> --data <mnist|dir>)');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} (netblocks eval takes one model directory)`);
    const data = stringOption(values, 'data');
    if (data === undefined) throw new UsageError("missing --data (give 'mnist' or a folder of class sub-folders)");
    const testFraction = numberOption(values, 'test-fraction', 'fraction');
    const testPerClass = numberOption(values, 'test-per-class', 'positive-int');
    const { evaluation, inputShape } = await evaluateSavedModel(dir, {
      data,
      fit: choiceOption(values, 'fit', ['resize', 'pad'] as const) ?? 'resize',
      backend: choiceOption(values, 'backend', TRAIN_BACKENDS) ?? 'wasm',
      ...(testFraction === undefined ? {} : { testFraction }),
      ...(testPerClass === undefined ? {} : { testPerClass }),
    });
    if (values.json === true) io.stdout.write(`${JSON.stringify({ modelDir: dir, inputShape, ...evaluation })}\n`);
    else io.stdout.write(`${dir}: accuracy ${(100 * evaluation.accuracy).toFixed(2)}% on ${evaluation.images} held-out images (loss ${evaluation.loss.toFixed(4)})\n`);
    return 0;
  },
};
