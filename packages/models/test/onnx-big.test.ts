import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '@netblocks/test-utils';
import { getModelInfo, listModels } from '../src/index.js';
import { exportedModelDifference } from './helpers/onnx-runtime.js';

useBackend('wasm');
afterEach(() => tf.disposeVariables());

/** Models over 50 M parameters (VGG, RepVGG-B1/B2/B3, ResNeXt-101 32x8d, EfficientNet-B7, Mixer-B/L):
 * their weights, not their activations, cost the time, so each is built once, run at batch 1. */
const BIG = 50e6;
const worst = new Map<string, number>();
afterAll(() => console.log([...worst].map(([family, d]) => `${family}: ${d.toExponential(2)}`).join('\n')));

describe.each(listModels().filter((n) => getModelInfo(n).reference.totalParams > BIG))('%s', (name) => {
  it('exports to ONNX: onnxruntime-node matches model.predict within 1e-4 relative', async () => {
    const diff = await exportedModelDifference(name, 1);
    const family = getModelInfo(name).family;
    worst.set(family, Math.max(worst.get(family) ?? 0, diff));
    expect(diff).toBeLessThanOrEqual(1e-4);
  });
});
