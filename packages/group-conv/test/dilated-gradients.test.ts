// Dilated grouped convs train: tf.grads through groupConv2d, for every strategy, equal the naive
// Float64 grouped conv and its hand-written gradient, on cpu and on wasm (with @netblocks/wasm-train's
// gradient kernels). The reference and the wasm loader are @netblocks/test-utils'.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadWasmTrainKernels,
  maxAbsDifference,
  naiveConv,
  naiveConvGrads,
  naiveOutShape,
  samePads,
  seededValues,
  torchPads,
  type NaiveConvGeometry,
  type Pair,
} from '@netblocks/test-utils';
import { groupConv2d } from '../src/op.js';
import { GROUP_CONV_STRATEGIES, type GroupConvStrategy } from '../src/strategies.js';

const TOLERANCE = 1e-4;
type Shape4 = [number, number, number, number];

interface GroupCase {
  name: string;
  groups: number;
  cin: number;
  cout: number;
}

const GROUPS: GroupCase[] = [
  { name: 'groups 1', groups: 1, cin: 4, cout: 6 },
  { name: 'groups 2', groups: 2, cin: 4, cout: 6 },
  { name: 'groups 4', groups: 4, cin: 4, cout: 8 },
  { name: 'depthwise-exact (groups = Cin = Cout = 4)', groups: 4, cin: 4, cout: 4 },
];

interface Geometry {
  kernel: number;
  strides: Pair;
  dilations: Pair;
  padding: 'torch' | 'same' | 'valid';
}

const GEOMETRIES: Geometry[] = [];
for (const dilations of [[2, 2], [2, 1]] as Pair[]) {
  for (const padding of ['torch', 'same', 'valid'] as const) GEOMETRIES.push({ kernel: 3, strides: [1, 1], dilations, padding });
  GEOMETRIES.push({ kernel: 3, strides: [2, 2], dilations, padding: 'torch' });
  GEOMETRIES.push({ kernel: 1, strides: [1, 1], dilations, padding: 'valid' });
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, v) => p * v, 1);
}

/** Max abs differences of the forward value, dx, dfilter and dbias against the naive reference. */
function measure(c: GroupCase, geo: Geometry, strategy: GroupConvStrategy | 'auto'): Record<string, number> {
  const xShape: Shape4 = [2, 9, 7, c.cin];
  const fShape: Shape4 = [geo.kernel, geo.kernel, c.cin / c.groups, c.cout];
  const k: Pair = [geo.kernel, geo.kernel];
  const pads: [Pair, Pair] =
    geo.padding === 'torch'
      ? torchPads(k, geo.dilations)
      : geo.padding === 'same'
        ? [samePads(9, geo.kernel, geo.strides[0], geo.dilations[0]), samePads(7, geo.kernel, geo.strides[1], geo.dilations[1])]
        : [[0, 0], [0, 0]];
  const g: NaiveConvGeometry = { xShape, filterShape: fShape, groups: c.groups, strides: geo.strides, dilations: geo.dilations, pads };
  const outShape = naiveOutShape(g);
  const xs = seededValues(size(xShape), 1);
  const fs = seededValues(size(fShape), 2);
  const bs = seededValues(c.cout, 3);
  const dys = seededValues(size(outShape), 4);
  const reference = naiveConvGrads(xs, fs, dys, g);
  const forward = naiveConv(xs, fs, g).map((v, i) => v + (bs[i % c.cout] as number));
  const dBias = new Float64Array(c.cout);
  dys.forEach((v, i) => (dBias[i % c.cout] = (dBias[i % c.cout] as number) + v));
  return tf.tidy(() => {
    const dy = tf.tensor(dys, outShape);
    const options = { groups: c.groups, strides: geo.strides, dilation: geo.dilations, padding: geo.padding, strategy };
    const conv = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => groupConv2d(x as tf.Tensor4D, f as tf.Tensor4D, { ...options, bias: b as tf.Tensor1D });
    const inputs = [tf.tensor4d(xs, xShape), tf.tensor4d(fs, fShape), tf.tensor1d(bs)] as const;
    const [dx, dFilter, db] = tf.grads((x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(x, f, b), dy)))([...inputs]);
    return {
      forward: maxAbsDifference(conv(...inputs).dataSync(), forward),
      dx: maxAbsDifference((dx as tf.Tensor).dataSync(), reference.dx),
      dFilter: maxAbsDifference((dFilter as tf.Tensor).dataSync(), reference.dFilter),
      dBias: maxAbsDifference((db as tf.Tensor).dataSync(), dBias),
    };
  });
}

const describeGeometry = (geo: Geometry) => `k${geo.kernel} stride [${geo.strides}] dilation [${geo.dilations}] ${geo.padding}`;

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`dilated groupConv2d gradients on ${backend}`, () => {
    beforeAll(async () => {
      if (backend === 'wasm') await loadWasmTrainKernels();
      expect(await tf.setBackend(backend)).toBe(true);
      await tf.ready();
    });

    it(`runs on ${backend}`, () => {
      expect(tf.getBackend()).toBe(backend);
    });

    for (const c of GROUPS) {
      for (const strategy of ['auto', ...GROUP_CONV_STRATEGIES] as const) {
        it(`${c.name}, strategy ${strategy}: forward, dx, dfilter and dbias equal the naive reference`, () => {
          for (const geo of GEOMETRIES) {
            if (strategy === 'matmul' && geo.kernel !== 1) continue;
            for (const [name, value] of Object.entries(measure(c, geo, strategy))) {
              expect(value, `${describeGeometry(geo)}: ${name} max abs difference ${value}`).toBeLessThanOrEqual(TOLERANCE);
            }
          }
        });
      }
    }
  });
}
