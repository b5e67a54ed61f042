import { stat } from 'node:fs/promises';
import { pullPretrained } from '@netblocks/models/node';
import { createDownloadProgressBar } from '../progress.js';
import type { Command } from './command.js';
import { positionalArgs } from './parse-values.js';

export const pullCommand: Command = {
  name: 'pull',
  summary: "download a model's published weights into the cache Python uses (the Hub's for timm, torch.hub's for torchvision)",
  usage: 'netblocks pull <model>[.<tag>] [--offline] [--revalidate] [--json]',
  positionals: [{ name: 'model[.tag]', description: "a registered model (its default checkpoint) or model.tag ('resnet50.a1_in1k'); netblocks list --pretrained shows them" }],
  options: {
    offline: { type: 'boolean', description: 'use the cache only, no request (as HF_HUB_OFFLINE=1)' },
    revalidate: { type: 'boolean', description: "ask the Hub for the revision's current commit even when the file is cached" },
  },
  examples: ['netblocks pull mobilenetv2_100', 'netblocks pull resnet50.IMAGENET1K_V2 --json', 'HF_ENDPOINT=https://hf-mirror.com netblocks pull repvgg_a0'],
  async run(values, positionals, io) {
    const [name] = positionalArgs('pull', positionals, ['model[.tag]']) as [string];
    const pulled = await pullPretrained(name, {
      onProgress: createDownloadProgressBar(io.stderr),
      ...(values.offline === true ? { offline: true } : {}),
      ...(values.revalidate === true ? { revalidate: true } : {}),
    });
    const bytes = (await stat(pulled.weightsPath)).size;
    const { checkpoint } = pulled;
    const report = {
      checkpoint: checkpoint.name,
      source: checkpoint.location.kind === 'hub' ? `hub:${checkpoint.location.repo}` : checkpoint.location.url,
      weightsPath: pulled.weightsPath,
      configPath: pulled.configPath ?? null,
      bytes,
      cached: pulled.cached,
      verification: checkpoint.verification,
    };
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const how = pulled.cached ? 'already in the cache' : `downloaded (${checkpoint.verification})`;
    io.stdout.write(`${report.checkpoint}: ${report.weightsPath} (${(bytes / 1e6).toFixed(1)} MB, ${how})\n`);
    return 0;
  },
};
