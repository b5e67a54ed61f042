import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { profile } from '@netblocks/core';
import { useBackend } from '@netblocks/test-utils';
import { createModel, getModelInfo, listModels } from '../src/index.js';

useBackend('cpu');
afterEach(() => tf.disposeVariables());

/**
 * Every registered model, timm-style: built at its default resolution, its parameters must equal
 * the reference figures exactly and its MACs within 1 %. One model at a time, disposed after.
 */
describe.each(listModels())('%s', (name) => {
  it('has the reference parameter count and MACs', () => {
    const info = getModelInfo(name);
    const model = createModel(name);
    try {
      const p = profile(model);
      expect(p.totalParams).toBe(info.reference.totalParams);
      expect(p.trainableParams).toBe(info.reference.trainableParams);
      expect(model.countParams()).toBe(info.reference.totalParams);
      if (info.reference.macs !== undefined) expect(Math.abs(p.macs / info.reference.macs - 1)).toBeLessThan(0.01);
      expect(p.unknownLayers).toEqual([]);
    } finally {
      model.dispose();
    }
  });
});
