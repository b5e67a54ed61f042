import type { TorchWeightSource } from '@netblocks/models';
import { importTorchWeights } from '../convert/import-weights.js';
import type { Command } from './command.js';
import { buildOptionsFrom, MODEL_OPTIONS } from './model-options.js';
import { choiceOption, positionalArgs } from './parse-values.js';

/** The libraries whose state-dict key names `loadTorchWeights` reads. */
export const TORCH_SOURCES: readonly TorchWeightSource[] = ['timm', 'torchvision', 'megvii', 'official'];

export const importCommand: Command = {
  name: 'import',
  summary: 'build a model, load PyTorch weights (safetensors, or a torch.save .pth/.bin) into it, save it',
  usage: 'netblocks import <model> <weights> <out-dir> [--classes n] [--image-size px] [--from lib] [--partial] [--json]',
  positionals: [
    { name: 'model', description: 'a registered model name (netblocks list shows them)' },
    { name: 'weights', description: 'a PyTorch state dict: safetensors, or a torch.save .pth/.bin (zip or legacy, read without running its pickle), told apart by content' },
    { name: 'out-dir', description: 'where the model goes (replaced as a whole; an existing directory must be empty or hold a model)' },
  ],
  options: {
    ...MODEL_OPTIONS,
    classes: { type: 'string', value: 'n', description: "classifier outputs (default the checkpoint's)" },
    from: { type: 'string', value: TORCH_SOURCES.join('|'), description: 'the library whose names the keys follow (default detected from the keys)' },
    partial: { type: 'boolean', description: 'save what fits and list the rest, instead of refusing a checkpoint that does not fit' },
  },
  examples: ['netblocks import shufflenet_v2_x1_0 ~/.cache/torch/hub/checkpoints/shufflenetv2_x1-5666bf0f80.pth models/shufflenet', 'netblocks import mobilenetv2_035 mnist.safetensors models/mnist --image-size 32 --channels 1 --json'],
  async run(values, positionals, io) {
    const [model, file, outDir] = positionalArgs('import', positionals, ['model', 'weights', 'out-dir']) as [string, string, string];
    const from = choiceOption(values, 'from', TORCH_SOURCES);
    const r = await importTorchWeights(model, file, outDir, { ...buildOptionsFrom(values), ...(from === undefined ? {} : { from }), partial: values.partial === true });
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    const lines = [
      `${r.model} (${r.inputShape.join('x')}, ${r.numClasses ?? 'no'} classes): loaded ${r.loaded.length} weights from ${r.weightsFile}${r.from ? ` (${r.from} names)` : ''}; saved to ${r.outDir}`,
      ...r.missing.map((k) => `  missing: ${k}`),
      ...r.unexpected.map((k) => `  unexpected: ${k}`),
      ...r.mismatched.map((m) => `  mismatched: ${m.key}: model [${m.expectedShape.join(', ')}], file [${m.gotShape.join(', ')}] ${m.gotDtype}`),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
