import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '@netblocks/core';
import { loadModel } from '@netblocks/core/node';
import { classify, createPretrainedModel } from '@netblocks/models/node';
import { createDownloadProgressBar } from '../progress.js';
import { TRAIN_BACKENDS } from '../train/config.js';
import { UsageError } from '../errors.js';
import type { Command } from './command.js';
import { ENGINE_OPTION, engineOption } from './engine-option.js';
import { choiceOption, numberOption } from './parse-values.js';

/** A saved model directory (or a training run's, by its `model/`), else a published checkpoint by name. */
async function openModel(source: string, onProgress: ReturnType<typeof createDownloadProgressBar>): Promise<tf.LayersModel> {
  if (existsSync(source) && statSync(source).isDirectory()) {
    const dir = existsSync(join(source, 'model.json')) ? source : join(source, 'model');
    if (!existsSync(join(dir, 'model.json'))) throw new UsageError(`${source} holds no saved model (no model.json, nor model/model.json)`);
    await import('@netblocks/models/register');
    return loadModel(dir);
  }
  try {
    return await createPretrainedModel(source, { onProgress });
  } catch (error) {
    throw new UsageError(`${source}: not a model directory, and ${(error as Error).message}`);
  }
}

export const classifyCommand: Command = {
  name: 'classify',
  summary: "label images with a pretrained or fine-tuned model, preprocessing them as its weights expect",
  usage: 'netblocks classify <model> <image...> [--topk 5] [--engine tfjs|onnxruntime|auto] [--json]',
  positionals: [
    { name: 'model', description: "a published checkpoint ('mobilenetv2_100', 'resnet50.a1_in1k'; downloaded into the cache Python uses) or a model directory netblocks train saved" },
    { name: 'image...', description: 'PNG or JPEG files' },
  ],
  options: {
    topk: { type: 'string', value: 'k', description: 'classes per image (default 5)' },
    backend: { type: 'string', value: TRAIN_BACKENDS.join('|'), description: 'TF.js backend (default wasm)' },
    engine: ENGINE_OPTION,
  },
  examples: ['netblocks classify mobilenetv2_100 cat.jpg', 'netblocks classify runs/flowers/best rose.png tulip.png --topk 3 --json', 'netblocks classify resnet50 *.jpg --engine onnxruntime'],
  async run(values, positionals, io) {
    const [source, ...images] = positionals;
    if (source === undefined || images.length === 0) throw new UsageError('missing the model or the images (netblocks classify <model> <image...>)');
    const topk = numberOption(values, 'topk', 'positive-int') ?? 5;
    const engine = engineOption(values);
    await initBackend(choiceOption(values, 'backend', TRAIN_BACKENDS) ?? 'wasm');
    const model = await openModel(source, createDownloadProgressBar(io.stderr));
    try {
      const results = await classify(model, images, { topk, engine });
      if (values.json === true) {
        io.stdout.write(`${JSON.stringify(images.map((image, i) => ({ image, classes: results[i] })))}\n`);
        return 0;
      }
      images.forEach((image, i) => {
        io.stdout.write(`${image}\n`);
        for (const c of results[i] ?? []) io.stdout.write(`  ${(c.label ?? String(c.index)).padEnd(24)} ${(100 * c.probability).toFixed(2).padStart(6)} %\n`);
      });
      return 0;
    } finally {
      model.dispose();
    }
  },
};
