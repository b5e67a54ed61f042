import { createModel, getModelInfo, listModels } from '@netblocks/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArrayAdam, initTrainingBackend, trainEpochs, type ImageSet } from '../src/index.js';

beforeAll(() => initTrainingBackend('wasm'));

/** The smallest registered variant of every family (by reference parameter count). */
function smallestPerFamily(): string[] {
  const best = new Map<string, string>();
  for (const name of listModels()) {
    const info = getModelInfo(name);
    const current = best.get(info.family);
    if (current === undefined || info.reference.totalParams < getModelInfo(current).reference.totalParams) best.set(info.family, name);
  }
  return [...best.values()].sort();
}

// VGG takes only 224x224 (its classifier is fixed-size) and holds 134M weights: one Adam step on
// it needs ~2 GB and minutes on wasm, too much for CI. Its convs and dense layers are the same
// Conv2D / Dense that the other families train here.
const families = smallestPerFamily().filter((name) => getModelInfo(name).family !== 'vgg');

describe('every registered family trains on 1-channel images at its minimum size (wasm backend)', () => {
  it('covers every family but VGG', () => {
    expect(families.length).toBe(new Set(listModels().map((n) => getModelInfo(n).family)).size - 1);
  });

  for (const name of families) {
    it(name, async () => {
      const size = getModelInfo(name).minInputSize;
      const model = createModel(name, { numClasses: 3, inputShape: [size, size, 1] });
      const count = 2;
      const data: ImageSet = { images: Float32Array.from({ length: count * size * size }, (_, i) => (i % 13) / 13), labels: Int32Array.of(0, 2), shape: [size, size, 1] };
      const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
      const optimizer = new ArrayAdam(1e-3);
      const [record] = await trainEpochs(model, optimizer, data, 3, { epoch: 0, step: 0 }, { epochs: 1, batchSize: count, learningRate: 1e-3, schedule: 'constant', seed: 0 });
      expect(Number.isFinite(record?.loss)).toBe(true);
      // The first conv, which takes the 1-channel input, received a gradient and moved.
      const after = model.trainableWeights[0]?.read().dataSync() as Float32Array;
      expect(model.trainableWeights[0]?.shape.at(-2)).toBe(1);
      expect(after.some((v, i) => v !== before[0]?.[i])).toBe(true);
      optimizer.dispose();
      model.dispose();
    });
  }
});
