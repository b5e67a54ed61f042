import { depthwiseSeparableMacs, standardConvMacs } from '@netblocks/depthwise-sep';
import { formatCount } from '@netblocks/core';
import { canvasById, clearCanvas, elementById } from '../draw/canvas.js';
import { drawBars, type Bar } from '../draw/bars.js';
import { renderPanel } from '../panel.js';

/** 3x3 layers of MobileNetV1 at 224x224: output side, input and output channels. */
const MOBILENET_V1_LAYERS: readonly [number, number, number][] = [
  [112, 32, 64],
  [56, 128, 128],
  [28, 256, 256],
  [14, 512, 512],
  [7, 1024, 1024],
];

function draw(): void {
  const bars: Bar[] = [];
  const ratios: string[] = [];
  for (const [side, cin, cout] of MOBILENET_V1_LAYERS) {
    const standard = standardConvMacs(side, side, cin, cout, 3);
    const separable = depthwiseSeparableMacs(side, side, cin, cout, 3);
    bars.push({ value: standard, color: '#999' }, { value: separable, color: '#147a7d' });
    ratios.push(`${(standard / separable).toFixed(1)}x`);
  }
  const ctx = clearCanvas(canvasById('separable-macs-canvas'));
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#999';
  ctx.fillRect(10, 6, 10, 10);
  ctx.fillStyle = '#147a7d';
  ctx.fillRect(120, 6, 10, 10);
  ctx.fillStyle = '#222';
  ctx.fillText('standard 3x3', 24, 15);
  ctx.fillText('depthwise 3x3 + pointwise 1x1', 134, 15);
  drawBars(ctx, bars, {
    x: 6, y: 24, width: 348, height: 210, groupSize: 2,
    groupLabels: MOBILENET_V1_LAYERS.map(([side, cin, cout]) => `${side}x${side}\n${cin}→${cout}`),
    valueText: (value) => formatCount(value, 0),
  });
  elementById('separable-macs-result').textContent = `MACs saved per layer: ${ratios.join(', ')}`;
}

export async function setupSeparableMacs(): Promise<void> {
  await renderPanel('separable-macs', draw);
}
