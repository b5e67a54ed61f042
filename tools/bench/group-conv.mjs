#!/usr/bin/env node
// Group-conv benchmark: each strategy of @netblocks/group-conv on ResNeXt-, ShuffleNet- and
// RepVGG-g4-shaped layers, on wasm and cpu, timed against a dense conv of the same MACs in the
// same run. Prints a Markdown table (ms and ratio to the dense conv) and writes it to results/.
//   node tools/bench/group-conv.mjs [--backends wasm,cpu] [--quick]
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { groupConv2d, GROUP_CONV_STRATEGIES, chooseStrategy, resolveGroupConvGeometry } from '@netblocks/group-conv';
import { machine, markdownTable, medianMs, useBackend } from './harness.mjs';

const args = process.argv.slice(2);
const backends = (args[args.indexOf('--backends') + 1] && args.includes('--backends') ? args[args.indexOf('--backends') + 1] : 'wasm,cpu').split(',');
const quick = args.includes('--quick');

// [label, input size, Cin, Cout, groups, kernel, stride]
const LAYERS = [
  ['ResNeXt50 stage1 3x3', 56, 128, 128, 32, 3, 1],
  ['ResNeXt50 stage2 3x3 s2', 56, 256, 256, 32, 3, 2],
  ['ResNeXt50 stage2 3x3', 28, 256, 256, 32, 3, 1],
  ['ResNeXt50 stage3 3x3', 14, 512, 512, 32, 3, 1],
  ['ResNeXt50 stage4 3x3', 7, 1024, 1024, 32, 3, 1],
  ['ResNeXt101-32x8d stage1 3x3', 56, 256, 256, 32, 3, 1],
  ['ShuffleNetV1 g3 1x1 expand', 28, 60, 240, 3, 1, 1],
  ['ShuffleNetV1 g3 1x1 reduce', 28, 240, 60, 3, 1, 1],
  ['ShuffleNetV1 g8 1x1 reduce', 28, 384, 96, 8, 1, 1],
  ['ShuffleNetV1 g8 1x1 expand', 14, 192, 768, 8, 1, 1],
  ['RepVGG-B1g4 3x3 (stage2)', 56, 128, 128, 4, 3, 1],
  ['RepVGG-B1g4 3x3 (stage3)', 28, 256, 256, 4, 3, 1],
  ['RepVGG-B1g4 3x3 (stage4)', 14, 512, 512, 4, 3, 1],
];

const rows = [];
for (const backend of backends) {
  await useBackend(backend);
  const runs = backend === 'cpu' ? 3 : quick ? 3 : 7;
  for (const [label, size, cin, cout, groups, k, stride] of LAYERS) {
    const x = tf.randomNormal([1, size, size, cin]);
    const filter = tf.randomNormal([k, k, cin / groups, cout]);
    // The dense baseline does the same MACs: Cout/G outputs over all Cin inputs.
    const dense = tf.randomNormal([k, k, cin, cout / groups]);
    const pad = (k - 1) / 2;
    const explicit = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
    const base = medianMs(() => tf.conv2d(x, dense, stride, explicit), { runs });
    const geo = resolveGroupConvGeometry(x.shape, filter.shape, { groups, strides: stride });
    const auto = chooseStrategy(x.shape, filter.shape, geo, backend);
    const cells = [];
    for (const strategy of GROUP_CONV_STRATEGIES) {
      if (strategy === 'matmul' && k !== 1) {
        cells.push('—');
        continue;
      }
      const ms = medianMs(() => groupConv2d(x, filter, { groups, strides: stride, strategy }), { runs });
      cells.push(`${ms.toFixed(2)} (${(ms / base).toFixed(1)}x)${strategy === auto ? ' **auto**' : ''}`);
    }
    const macs = (size / stride) ** 2 * k * k * (cin / groups) * cout;
    rows.push([backend, label, `${(macs / 1e6).toFixed(1)} M`, base.toFixed(2), ...cells]);
    console.error(`${backend} ${label}: done`);
    tf.dispose([x, filter, dense]);
  }
}

const table = markdownTable(['backend', 'layer', 'MACs', 'dense same-MACs ms', ...GROUP_CONV_STRATEGIES.map((s) => `${s} ms (ratio)`)], rows);
const report = `# Group-conv strategies\n\n${machine()}, batch 1, median of repeated runs after warm-up. Ratio = strategy time / a dense conv with the same MACs in the same run.\n\n${table}\n`;
console.log(report);
writeFileSync(new URL('./results/group-conv.md', import.meta.url), report);
