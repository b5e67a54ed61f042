import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '@netblocks/test-utils';
import { createModel, getModelInfo, listModels } from '../src/index.js';
import { encodeModel } from '../src/onnx/onnx-proto.js';
import { onnxModelOf } from '../src/onnx/export.js';
import { onnxSession, randomizeBatchNorms, sessionVersusTfjs, TRANSPOSES } from './helpers/onnx-runtime.js';

useBackend('wasm');
afterEach(() => tf.disposeVariables());

/** Models over 50 M parameters (VGG, RepVGG-B1/B2/B3, ResNeXt-101 32x8d, EfficientNet-B7, Mixer-B/L):
 * their weights, not their activations, cost the time, so each is built once, run at batch 1. */
const BIG = 50e6;
const worst = new Map<string, number>();
afterAll(() => console.log([...worst].map(([family, d]) => `${family}: ${d.toExponential(2)}`).join('\n')));

describe.each(listModels().filter((n) => getModelInfo(n).reference.totalParams > BIG))('%s', (name) => {
  it('exports to ONNX: onnxruntime-node matches model.predict within 1e-4 relative', async () => {
    const info = getModelInfo(name);
    // VGG's classifier takes only 224 px.
    const size = info.topInputSize ?? Math.max(64, info.minInputSize);
    const model = createModel(name, { numClasses: 10, inputShape: [size, size, 3] });
    randomizeBatchNorms(model);
    const x = tf.randomNormal([1, size, size, 3]);
    const onnx = onnxModelOf(model);
    // NCHW from the input on: one Transpose, and one more where TF.js's element order matters
    // (Mixer's patch tokens, VGG's Flatten).
    const transposes = onnx.graph.nodes.filter((n) => n.opType === 'Transpose').length;
    expect(transposes).toBe(TRANSPOSES[info.family] ?? 1);
    // ZeroPadding2D before a conv is folded into the conv's own pads.
    const padded = new Set(onnx.graph.nodes.filter((n) => n.opType === 'Pad').flatMap((n) => n.outputs));
    expect(onnx.graph.nodes.some((n) => n.opType === 'Conv' && padded.has(n.inputs[0] as string))).toBe(false);
    const session = await onnxSession(encodeModel(onnx));
    const diff = await sessionVersusTfjs(session, model, x);
    await session.release();
    worst.set(info.family, Math.max(worst.get(info.family) ?? 0, diff));
    expect(diff).toBeLessThanOrEqual(1e-4);
    x.dispose();
    model.dispose();
  });
});
