import { exportSavedModel } from '../convert/export-model.js';
import type { Command } from './command.js';
import { TORCH_SOURCES } from './import.js';
import { choiceOption, numberOption, positionalArgs, stringOption } from './parse-values.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a saved model as PyTorch weights (safetensors) or as an ONNX model',
  usage: 'netblocks export <model-dir> --torch <file.safetensors> | --onnx <file.onnx> [--opset n] [--json]',
  positionals: [{ name: 'model-dir', description: 'a saved model directory (model.json and weight shards), e.g. runs/<model>/model' }],
  options: {
    torch: { type: 'string', value: 'file.safetensors', description: "the weights as a PyTorch state dict (the reference library's key names and layouts)" },
    onnx: { type: 'string', value: 'file.onnx', description: 'the network as an ONNX model (NHWC input as in TF.js, dynamic batch)' },
    opset: { type: 'string', value: 'n', description: 'ONNX operator set, 13 to 21 (default 13)' },
    to: { type: 'string', value: TORCH_SOURCES.join('|'), description: "--torch key names: another library's, for the families that translate (default the family's own)" },
  },
  examples: ['netblocks export runs/mnist/model --onnx mnist.onnx', 'netblocks export runs/mnist/model --torch mnist.safetensors --json'],
  async run(values, positionals, io) {
    const [dir] = positionalArgs('export', positionals, ['model-dir']) as [string];
    const torch = stringOption(values, 'torch');
    const onnx = stringOption(values, 'onnx');
    const opset = numberOption(values, 'opset', 'positive-int');
    const to = choiceOption(values, 'to', TORCH_SOURCES);
    const r = await exportSavedModel(dir, {
      ...(torch === undefined ? {} : { torch }),
      ...(onnx === undefined ? {} : { onnx }),
      ...(opset === undefined ? {} : { opset }),
      ...(to === undefined ? {} : { to }),
    });
    io.stdout.write(values.json === true ? `${JSON.stringify(r)}\n` : `${r.files.map((f) => `${r.modelDir} (${r.model}) -> ${f.path}: ${f.format === 'torch' ? 'PyTorch weights' : 'ONNX'}, ${(f.bytes / 1024).toFixed(0)} KiB`).join('\n')}\n`);
    return 0;
  },
};
