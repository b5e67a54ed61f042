import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '@netblocks/test-utils';
import { createModel, exportOnnx, getModelInfo, listModels, optimizeForInference } from '../src/index.js';
import { randomizeBatchNorms } from '@netblocks/test-utils';
import { exportedModelDifference, onnxSession, sessionVersusTfjs } from './helpers/onnx-runtime.js';

useBackend('wasm');
afterEach(() => tf.disposeVariables());

/** Models over 50 M parameters are exported in onnx-big.test.ts. */
const BIG = 50e6;
const TOLERANCE = 1e-4;

/** Worst relative difference per family, printed at the end. */
const worst = new Map<string, number>();
afterAll(() => console.log([...worst].map(([family, d]) => `${family}: ${d.toExponential(2)}`).join('\n')));

/** Every registered model under 50 M parameters, at 64 px (or its minimum), batch 2, its
 * BatchNorms given non-trivial statistics: the ONNX export run in onnxruntime-node gives TF.js's logits. */
describe.each(listModels().filter((n) => getModelInfo(n).reference.totalParams <= BIG))('%s', (name) => {
  it('exports to ONNX: onnxruntime-node matches model.predict within 1e-4 relative', async () => {
    const diff = await exportedModelDifference(name, 2);
    const family = getModelInfo(name).family;
    worst.set(family, Math.max(worst.get(family) ?? 0, diff));
    expect(diff).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('the batch dimension', () => {
  it('is dynamic by default: one export runs batch 1 and batch 3', async () => {
    const model = createModel('mobilenetv1_025', { numClasses: 10, inputShape: [64, 64, 3] });
    randomizeBatchNorms(model);
    const session = await onnxSession(exportOnnx(model));
    for (const batch of [1, 3]) {
      const x = tf.randomNormal([batch, 64, 64, 3]);
      expect(await sessionVersusTfjs(session, model, x), `batch ${batch}`).toBeLessThanOrEqual(TOLERANCE);
      x.dispose();
    }
    await session.release();
    model.dispose();
  });

  it('is fixed by batchSize: that batch runs, another is refused by the runtime', async () => {
    const model = createModel('mobilenetv1_025', { numClasses: 10, inputShape: [64, 64, 3] });
    const session = await onnxSession(exportOnnx(model, { batchSize: 2 }));
    const two = tf.randomNormal([2, 64, 64, 3]);
    const three = tf.randomNormal([3, 64, 64, 3]);
    expect(await sessionVersusTfjs(session, model, two)).toBeLessThanOrEqual(TOLERANCE);
    await expect(sessionVersusTfjs(session, model, three)).rejects.toThrow(/dimension/i);
    tf.dispose([two, three]);
    await session.release();
    model.dispose();
  });
});

/** optimizeForInference's fused layers (NetblocksFusedConv2D, NetblocksActivation, RepVGG merged
 * into one conv, the Mixer's NetblocksLayerNorm and NetblocksChannelDense) export too, and still give the original model's logits. */
describe.each(['mobilenetv2_035', 'efficientnet_b0', 'repvgg_a0', 'xception', 'mixer_s32_224'])('%s after optimizeForInference', (name) => {
  it('exports to ONNX: onnxruntime-node matches the original model within 1e-4 relative', async () => {
    const size = Math.max(64, getModelInfo(name).minInputSize);
    const model = createModel(name, { numClasses: 10, inputShape: [size, size, 3] });
    randomizeBatchNorms(model);
    const optimized = optimizeForInference(model);
    const classes = new Set(optimized.layers.map((l) => l.getClassName()));
    expect(classes.has('NetblocksFusedConv2D')).toBe(true);
    const x = tf.randomNormal([2, size, size, 3]);
    const session = await onnxSession(exportOnnx(optimized));
    expect(await sessionVersusTfjs(session, model, x)).toBeLessThanOrEqual(TOLERANCE);
    await session.release();
    x.dispose();
    optimized.dispose();
    model.dispose();
  });
});
