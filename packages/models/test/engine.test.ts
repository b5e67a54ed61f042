// The inference engine: a model run by onnxruntime-node (its exportOnnx graph, in memory) gives the
// TF.js model's outputs within 1e-4, as TF.js tensors, and so do classify / embed / the pool
// through it; onnxruntime-web (wasm) runs the same in Node. The pool's part runs the BUILT worker
// (dist/pool-worker.js, as pool.test.ts does): run `npx tsup` first when calling vitest by hand.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { saveModel } from '@netblocks/core/node';
import { randomizeBatchNorms, useBackend } from '@netblocks/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, classify, embed } from '../src/node.js';
import { createInferenceEngine as createBrowserEngine, createModel, setModelCard, type Preprocessing } from '../src/index.js';
import { createInferenceEngineWith } from '../src/engine/create.js';
import { importOptional } from '../src/engine/onnxruntime.js';
import type { OnnxPlatform } from '../src/engine/platform.js';
import { startInferencePool } from '../src/pool/create-pool.js';

useBackend('wasm');

const SIZE = 64;
const CLASSES = 10;
const BUILT_WORKER = new URL('../dist/pool-worker.js', import.meta.url);

/** max |a - b| over all values: the measure ("outputs within 1e-4"). */
function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs((x[i] as number) - (y[i] as number)));
  return max;
}

function buildModel(name: string): tf.LayersModel {
  const model = createModel(name, { numClasses: CLASSES, inputShape: [SIZE, SIZE, 3] });
  // Non-trivial BatchNorm statistics, so that a wrong fold or layout would show.
  randomizeBatchNorms(model);
  return model;
}

const batch = (rows: number, seed: number) => tf.randomNormal([rows, SIZE, SIZE, 3], 0, 1, 'float32', seed) as tf.Tensor4D;

describe.each(['mobilenetv2_035', 'shufflenet_v2_x0_5', 'efficientnet_b0'])('%s on onnxruntime-node', (name) => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = buildModel(name);
  });
  afterAll(() => model.dispose());

  it("gives the TF.js model's outputs within 1e-4 as a TF.js tensor, and frees everything on dispose", async () => {
    const x = batch(3, 1);
    const expected = model.predict(x) as tf.Tensor;
    const before = tf.memory().numTensors;
    const engine = await createInferenceEngine(model, { engine: 'onnxruntime', threads: 1 });
    expect(engine.engine).toBe('onnxruntime-node');
    expect(engine.inputShape).toEqual([null, SIZE, SIZE, 3]);
    const y = await engine.predict(x);
    expect(y).toBeInstanceOf(tf.Tensor);
    expect(y.shape).toEqual([3, CLASSES]);
    expect(maxAbsDifference(y, expected)).toBeLessThanOrEqual(1e-4);
    y.dispose();
    await engine.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(x.isDisposed).toBe(false);
    await expect(engine.predict(x)).rejects.toThrow('the onnxruntime session was released');
    tf.dispose([x, expected]);
  });
});

describe('createInferenceEngine', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = buildModel('mobilenetv2_035');
  });
  afterAll(() => model.dispose());

  it("'auto' takes onnxruntime-node where it is installed; 'tfjs' runs the optimized model and frees its copy", async () => {
    const auto = await createInferenceEngine(model);
    expect(auto.engine).toBe('onnxruntime-node');
    await auto.dispose();
    const x = batch(2, 2);
    const expected = model.predict(x) as tf.Tensor;
    const before = tf.memory().numTensors;
    const engine = await createInferenceEngine(model, { engine: 'tfjs' });
    expect(engine.engine).toBe('tfjs');
    const y = await engine.predict(x);
    expect(maxAbsDifference(y, expected)).toBeLessThanOrEqual(1e-4);
    y.dispose();
    await engine.dispose();
    // The optimized copy's weights are gone with it; the caller's model still runs.
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, expected, model.predict(x) as tf.Tensor]);
  });

  it('refuses bad options and bad batches, naming the argument and the value', async () => {
    await expect(createInferenceEngine(model, { engine: 'onnx' as never })).rejects.toThrow(
      `createInferenceEngine: \`engine\` must be one of 'auto', 'onnxruntime', 'tfjs' (got engine="onnx")`,
    );
    await expect(createInferenceEngine(model, { threads: 0 })).rejects.toThrow('createInferenceEngine: `threads` must be a positive integer (got threads=0)');
    await expect(createInferenceEngine(model, { onnxruntime: {} as never })).rejects.toThrow('`onnxruntime` must be the onnxruntime-node or onnxruntime-web module');
    await expect(createInferenceEngine({} as tf.LayersModel)).rejects.toThrow('createInferenceEngine: `model` must be a tf.LayersModel');
    for (const choice of ['onnxruntime', 'tfjs'] as const) {
      const engine = await createInferenceEngine(model, { engine: choice, optimize: false });
      const wrong = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
      const ints = tf.zeros([1, SIZE, SIZE, 3], 'int32') as tf.Tensor4D;
      await expect(engine.predict(wrong)).rejects.toThrow('InferenceEngine.predict: `x` has shape [1,32,32,3], but the model takes [null,64,64,3]');
      await expect(engine.predict(ints)).rejects.toThrow('`x` must be float32 (got dtype int32)');
      tf.dispose([wrong, ints]);
      await engine.dispose();
    }
  });

  it("without onnxruntime installed, 'onnxruntime' says how to install it and 'auto' runs TF.js", async () => {
    const missing: OnnxPlatform = { name: 'onnxruntime-node', load: async () => null, sessionOptions: () => ({}) };
    await expect(createInferenceEngineWith(missing, model, { engine: 'onnxruntime' })).rejects.toThrow(
      "createInferenceEngine: engine 'onnxruntime' needs the onnxruntime-node package, which is not installed: `npm install onnxruntime-node`",
    );
    const engine = await createInferenceEngineWith(missing, model, { engine: 'auto', optimize: false });
    expect(engine.engine).toBe('tfjs');
    await engine.dispose();
    // What "not installed" is: Node's resolver failing on that very package (a variable, so TypeScript does not look for it).
    const absent = 'netblocks-no-such-package';
    expect(await importOptional(absent, () => import(absent))).toBeNull();
    expect(await importOptional('onnxruntime-node', () => import('onnxruntime-node'))).toHaveProperty('InferenceSession');
  });

  it("the browser entry's engine runs onnxruntime-web (wasm here), imported or given, with the same outputs", async () => {
    const x = batch(2, 3);
    const expected = model.predict(x) as tf.Tensor;
    const before = tf.memory().numTensors;
    for (const options of [{ engine: 'onnxruntime' as const, threads: 1 }, { engine: 'auto' as const, onnxruntime: ortWeb }]) {
      const engine = await createBrowserEngine(model, options);
      expect(engine.engine).toBe('onnxruntime-web');
      const y = await engine.predict(x);
      expect(maxAbsDifference(y, expected)).toBeLessThanOrEqual(1e-4);
      y.dispose();
      await engine.dispose();
    }
    // The Node module given to the Node entry is named as what it is.
    const given = await createInferenceEngine(model, { onnxruntime: ortNode });
    expect(given.engine).toBe('onnxruntime-node');
    await given.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, expected]);
  });
});

describe("classify and embed with engine: 'onnxruntime'", () => {
  const recipe: Preprocessing = {
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    inputRange: [0, 1],
    channelOrder: 'rgb',
    crop: { resize: 73, size: SIZE, interpolation: 'bilinear' },
    source: 'engine.test.ts',
  };
  let model: tf.LayersModel;
  let images: tf.Tensor[];
  beforeAll(() => {
    model = buildModel('shufflenet_v2_x0_5');
    setModelCard(model, { preprocessing: recipe, labels: Array.from({ length: CLASSES }, (_, i) => `class ${i}`) });
    images = [0, 1, 2].map((seed) => tf.randomUniform([80 + 10 * seed, 90, 3], 0, 255, 'float32', seed));
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(images);
  });

  it("gives 'tfjs''s top-k, with probabilities within 1e-4, and leaks no tensors", async () => {
    const reference = await classify(model, images, { topk: 4, batchSize: 2 });
    const before = tf.memory().numTensors;
    const native = await classify(model, images, { topk: 4, batchSize: 2, engine: 'onnxruntime' });
    expect(tf.memory().numTensors).toBe(before);
    expect(native.map((top) => top.map((c) => c.index))).toEqual(reference.map((top) => top.map((c) => c.index)));
    expect(native.map((top) => top.map((c) => c.label))).toEqual(reference.map((top) => top.map((c) => c.label)));
    native.forEach((top, i) => top.forEach((c, k) => expect(Math.abs(c.probability - (reference[i]?.[k]?.probability as number))).toBeLessThanOrEqual(1e-4)));
  });

  it('embed exports the cut model, so onnxruntime gives the same pre-logits', async () => {
    const reference = await embed(model, images);
    const before = tf.memory().numTensors;
    const native = await embed(model, images, { engine: 'onnxruntime' });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(native.shape).toEqual([3, 1024]);
    expect(maxAbsDifference(native, reference)).toBeLessThanOrEqual(1e-4);
    tf.dispose([reference, native]);
  });

  it('refuses a bad engine, naming the argument and the value', async () => {
    await expect(classify(model, images, { engine: 'gpu' as never })).rejects.toThrow(`classify: \`engine\` must be one of 'auto', 'onnxruntime', 'tfjs' (got engine="gpu")`);
    await expect(embed(model, images, { engine: 'gpu' as never })).rejects.toThrow('embed: `engine` must be one of');
  });
});

describe("the inference pool with engine: 'onnxruntime'", () => {
  let dir: string;
  let model: tf.LayersModel;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netblocks-engine-test-'));
    model = buildModel('shufflenet_v2_x0_5');
    await saveModel(model, join(dir, 'model'));
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs onnxruntime-node in every worker, with the same outputs', async () => {
    const pool = await startInferencePool(BUILT_WORKER, join(dir, 'model'), { workers: 2, engine: 'onnxruntime' });
    try {
      expect(pool.engine).toBe('onnxruntime-node');
      const x = batch(5, 4);
      const expected = model.predict(x) as tf.Tensor;
      const before = tf.memory().numTensors;
      const y = await pool.predict(x);
      expect(maxAbsDifference(y, expected)).toBeLessThanOrEqual(1e-4);
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, expected]);
    } finally {
      await pool.close();
    }
  });

  it('refuses a bad engine before starting any worker', async () => {
    await expect(startInferencePool(BUILT_WORKER, join(dir, 'model'), { engine: 'native' as never })).rejects.toThrow(
      `createInferencePool: \`engine\` must be one of 'auto', 'onnxruntime', 'tfjs' (got engine="native")`,
    );
  });
});
