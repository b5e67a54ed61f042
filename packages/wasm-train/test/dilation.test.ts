import * as tf from '@tensorflow/tfjs';
import { maxRelativeDifference, useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import '../src/register.js';
import { gatherTaps, spreadFilter, values, valuesOn } from './helpers.js';

useBackend('wasm');

const TOLERANCE = 1e-4;
const X_SHAPE: [number, number, number, number] = [2, 11, 10, 3];

// TF.js's depthwise gradient rejects dilation > 1 and its cpu kernels ignore the attribute, so the
// kernels are run directly here, against the cpu backend's undilated kernels on the spread filter
// (`spreadFilter`): a dilated kernel and its spread version are the same convolution.
const CASES = [
  { kernel: 3, dilation: [2, 2] as [number, number], stride: 1, pad: 'same' as const },
  { kernel: 3, dilation: [2, 1] as [number, number], stride: 1, pad: 'valid' as const },
  { kernel: 5, dilation: [2, 2] as [number, number], stride: 1, pad: 'valid' as const },
  { kernel: 3, dilation: [2, 2] as [number, number], stride: 2, pad: 'same' as const },
];

describe('depthwise backprop kernels on wasm handle dilation', () => {
  for (const multiplier of [1, 2]) {
    it.each(CASES)(`kernel $kernel, dilation $dilation, stride $stride, padding $pad, depth multiplier ${multiplier}`, async ({ kernel, dilation, stride, pad }) => {
      const filterShape: [number, number, number, number] = [kernel, kernel, 3, multiplier];
      const filter = values(tf.util.sizeFromShape(filterShape), 2);
      const spreadShape: [number, number, number, number] = [dilation[0] * (kernel - 1) + 1, dilation[1] * (kernel - 1) + 1, 3, multiplier];
      const info = tf.backend_util.computeConv2DInfo(X_SHAPE, filterShape, stride, dilation, pad, undefined, true);
      const x = values(tf.util.sizeFromShape(X_SHAPE), 1);
      const dy = values(tf.util.sizeFromShape(info.outShape), 3);
      const run = (filterValues: Float32Array, shape: number[], dilations: [number, number]) => () => {
        const attrs = { strides: [stride, stride], pad, dilations, inputShape: X_SHAPE, filterShape: shape };
        const xT = tf.tensor(x, X_SHAPE);
        const dyT = tf.tensor(dy, info.outShape);
        const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyT, filter: tf.tensor(filterValues, shape) }, attrs as never) as tf.Tensor;
        const dFilter = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xT, dy: dyT }, attrs as never) as tf.Tensor;
        return [dx, dFilter];
      };
      const [dxWasm, dFilterWasm] = await valuesOn('wasm', run(filter, filterShape, dilation));
      const [dxCpu, dSpreadCpu] = await valuesOn('cpu', run(spreadFilter(filter, filterShape, dilation), spreadShape, [1, 1]));
      expect(maxRelativeDifference(dxWasm as Float32Array, dxCpu as Float32Array), 'dx').toBeLessThanOrEqual(TOLERANCE);
      const dFilterCpu = gatherTaps(dSpreadCpu as Float32Array, filterShape, dilation);
      expect(maxRelativeDifference(dFilterWasm as Float32Array, dFilterCpu), 'dfilter').toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

describe('Conv2DBackpropFilter on wasm', () => {
  it('takes NCHW tensors as the cpu backend does', async () => {
    const xShape = [2, 3, 9, 8];
    const run = () => {
      const x = tf.tensor(values(tf.util.sizeFromShape(xShape), 1), xShape);
      const dy = tf.tensor(values(2 * 4 * 5 * 4, 2), [2, 4, 5, 4]);
      const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
      return [tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor];
    };
    const [wasm] = await valuesOn('wasm', run);
    const [cpu] = await valuesOn('cpu', run);
    expect(maxRelativeDifference(wasm as Float32Array, cpu as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
  });
});
