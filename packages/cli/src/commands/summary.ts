import { profile, summary } from '@netblocks/core';
import { initInferenceBackend } from '../inspect/backend.js';
import { buildNamedModel } from '../inspect/models.js';
import type { Command } from './command.js';
import { buildOptionsFrom, MODEL_OPTIONS } from './model-options.js';
import { positionalArgs } from './parse-values.js';

export const summaryCommand: Command = {
  name: 'summary',
  summary: 'build a model and print its layer table: output shapes, parameters and MACs per layer',
  usage: 'netblocks summary <model> [--image-size px] [--classes n] [--json]',
  positionals: [{ name: 'model', description: 'a registered model name (netblocks list shows them)' }],
  options: MODEL_OPTIONS,
  examples: ['netblocks summary shufflenet_v2_x0_5', 'netblocks summary mobilenetv2_035 --image-size 96 --classes 10 --json'],
  async run(values, positionals, io) {
    const [name] = positionalArgs('summary', positionals, ['model']) as [string];
    const options = buildOptionsFrom(values);
    await initInferenceBackend('wasm');
    const model = buildNamedModel(name, options);
    try {
      const p = profile(model);
      const inputShape = model.inputs[0]?.shape.slice(1);
      io.stdout.write(values.json === true ? `${JSON.stringify({ model: name, inputShape, ...p })}\n` : `${summary(model, { profile: p })}\n`);
    } finally {
      model.dispose();
    }
    return 0;
  },
};
