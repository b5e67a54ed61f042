import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectTensorsClose, useBackend } from '@netblocks/test-utils';
import { invertedResidual } from '../src/inverted-residual.js';
import '../src/register.js';
import { randomizeBatchNorms, randomizeWeights, referenceBlock, swish, weightsOf } from './reference.js';

// The backend the library defaults to in Node: the forward pass (depthwise backprop kernels are
// missing on wasm; @netblocks/wasm-train's job).
useBackend('wasm');

describe('invertedResidual on wasm', () => {
  it('runs on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('MBConv with SE and a residual equals the plain-ops reference', () => {
    const input = tf.input({ shape: [7, 7, 16] });
    const model = tf.model({
      inputs: input,
      outputs: invertedResidual({ name: 'b', inChannels: 16, outChannels: 16, expandRatio: 6, kernelSize: 5, activation: 'swish', se: {}, dropPathRate: 0.1, names: 'timm' })(input),
    });
    randomizeBatchNorms(model, 1);
    randomizeWeights(model, ['b.se'], 2);
    const roles = { expandConv: 'b.conv_pw', expandBn: 'b.bn1', dwConv: 'b.conv_dw', dwBn: 'b.bn2', se: 'b.se', projectConv: 'b.conv_pwl', projectBn: 'b.bn3' };
    tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
      const expected = referenceBlock(x, weightsOf(model, Object.values(roles)), { ...roles, kernelSize: 5, strides: 1, activation: swish, residual: true, epsilon: 1e-5 });
      expectTensorsClose(model.predict(x) as tf.Tensor, expected, 1e-5);
    });
  });
});
