import type { EngineChoice } from '@netblocks/models/node';
import type { OptionSpec, OptionValues } from './command.js';
import { choiceOption } from './parse-values.js';

const ENGINES = ['tfjs', 'onnxruntime', 'auto'] as const satisfies readonly EngineChoice[];

/** `--engine`, of the commands that run a model (bench, classify). */
export const ENGINE_OPTION: OptionSpec = {
  type: 'string',
  value: ENGINES.join('|'),
  description: "what runs the model: TF.js (default), its ONNX export in onnxruntime-node (an optional peer dependency: npm i onnxruntime-node), or 'auto' (onnxruntime-node when installed)",
};

/** `--engine`'s value, default 'tfjs'. */
export function engineOption(values: OptionValues): EngineChoice {
  return choiceOption(values, 'engine', ENGINES) ?? 'tfjs';
}
