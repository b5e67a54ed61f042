import type { BuildOptions } from '../inspect/models.js';
import type { OptionSpec, OptionValues } from './command.js';
import { choiceOption, numberOption } from './parse-values.js';
import { TRAIN_OPTIONS } from './train.js';

/** The options of the commands that build a registered model (the same names `train` uses). */
export const MODEL_OPTIONS = {
  'image-size': { type: 'string', value: 'px', description: "input height and width (default the model's resolution; VGG takes only 224)" },
  channels: { type: 'string', value: '1|3', description: 'input channels (default 3)' },
  classes: { type: 'string', value: 'n', description: 'classifier outputs (default 1000)' },
  width: TRAIN_OPTIONS.width,
  groups: TRAIN_OPTIONS.groups,
} as const satisfies Record<string, OptionSpec>;

/** `BuildOptions` from the `MODEL_OPTIONS` given. */
export function buildOptionsFrom(values: OptionValues): BuildOptions {
  const options: BuildOptions = {};
  const imageSize = numberOption(values, 'image-size', 'positive-int');
  const channels = choiceOption(values, 'channels', ['1', '3'] as const);
  const numClasses = numberOption(values, 'classes', 'positive-int');
  const widthMultiplier = numberOption(values, 'width', 'positive');
  const groups = numberOption(values, 'groups', 'positive-int');
  if (imageSize !== undefined) options.imageSize = imageSize;
  if (channels !== undefined) options.channels = Number(channels);
  if (numClasses !== undefined) options.numClasses = numClasses;
  if (widthMultiplier !== undefined) options.widthMultiplier = widthMultiplier;
  if (groups !== undefined) options.groups = groups;
  return options;
}
