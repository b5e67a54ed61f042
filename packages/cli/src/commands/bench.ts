import { benchModels, formatBenchReport } from '../inspect/bench.js';
import { createStepProgressBar } from '../progress.js';
import { TRAIN_BACKENDS } from '../train/config.js';
import type { Command } from './command.js';
import { buildOptionsFrom, MODEL_OPTIONS } from './model-options.js';
import { ENGINE_OPTION, engineOption } from './engine-option.js';
import { choiceOption, numberOption } from './parse-values.js';
import { UsageError } from '../errors.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'time inference of models: median ms per image after warm-up, plain and with --optimized',
  usage: 'netblocks bench <model...> [--backend wasm|cpu] [--engine tfjs|onnxruntime|auto] [--batch n] [--image-size px] [--runs n] [--optimized] [--json]',
  positionals: [{ name: 'model...', description: 'one or more registered model names' }],
  options: {
    backend: { type: 'string', value: TRAIN_BACKENDS.join('|'), description: 'TF.js backend (default wasm)' },
    batch: { type: 'string', value: 'n', description: 'images per prediction (default 1)' },
    runs: { type: 'string', value: 'n', description: 'timed predictions per model; the median is reported (default 20)' },
    warmup: { type: 'string', value: 'n', description: 'untimed predictions first (default 3)' },
    optimized: { type: 'boolean', description: 'also time optimizeForInference(model): ms per image, speed-up, and the outputs\' max relative difference' },
    engine: ENGINE_OPTION,
    threads: { type: 'string', value: 'n', description: 'onnxruntime intra-op threads (default 1)' },
    ...MODEL_OPTIONS,
  },
  examples: [
    'netblocks bench shufflenet_v2_x0_5 mobilenetv2_035 --optimized',
    'netblocks bench repvgg_a0 --batch 8 --image-size 64 --backend cpu --json',
    'netblocks bench mobilenetv2_100 resnet50 --engine onnxruntime --threads 2',
  ],
  async run(values, positionals, io) {
    if (positionals.length === 0) throw new UsageError('missing <model...> (netblocks bench <model...>)');
    const batch = numberOption(values, 'batch', 'positive-int');
    const runs = numberOption(values, 'runs', 'positive-int');
    const warmup = numberOption(values, 'warmup', 'non-negative-int');
    const threads = numberOption(values, 'threads', 'positive-int');
    const report = await benchModels(positionals, {
      ...buildOptionsFrom(values),
      backend: choiceOption(values, 'backend', TRAIN_BACKENDS) ?? 'wasm',
      optimized: values.optimized === true,
      engine: engineOption(values),
      ...(threads === undefined ? {} : { threads }),
      ...(batch === undefined ? {} : { batch }),
      ...(runs === undefined ? {} : { runs }),
      ...(warmup === undefined ? {} : { warmup }),
      onModel: createStepProgressBar(io.stderr),
    });
    io.stdout.write(values.json === true ? `${JSON.stringify(report)}\n` : `${formatBenchReport(report)}\n`);
    return 0;
  },
};
