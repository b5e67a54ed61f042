import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@netblocks/test-utils';
import { describe, expect, it } from 'vitest';
import { ArrayAdam } from '../src/index.js';

useBackend('cpu');

/** Two variables of a small regression and the loss whose gradients both optimizers follow. */
function problem(seed: number) {
  const w = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', seed));
  const b = tf.variable(tf.randomNormal([3], 0, 1, 'float32', seed + 1));
  const x = tf.randomNormal([8, 4], 0, 1, 'float32', seed + 2);
  const y = tf.randomNormal([8, 3], 0, 1, 'float32', seed + 3);
  const loss = () => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar;
  return { w, b, loss, dispose: () => tf.dispose([w, b, x, y]) };
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

describe('ArrayAdam: TF.js Adam on plain arrays', () => {
  it('takes the steps tf.train.adam takes (20 steps, learning rate changed midway) to float32 rounding', () => {
    const reference = problem(1);
    const ours = problem(1);
    const adam = tf.train.adam(0.05);
    const arrays = new ArrayAdam(0.05);
    for (let i = 0; i < 20; i++) {
      if (i === 10) {
        (adam as unknown as { learningRate: number }).learningRate = 0.01;
        arrays.learningRate = 0.01;
      }
      adam.minimize(reference.loss, false, [reference.w, reference.b]);
      arrays.minimize(ours.loss, false, [ours.w, ours.b]);
    }
    // The weights moved by ~0.5-1 over the run; TF.js rounds each op to float32, we round once.
    expect(maxDiff(reference.w, ours.w)).toBeLessThan(1e-5);
    expect(maxDiff(reference.b, ours.b)).toBeLessThan(1e-5);
    expect(maxDiff(reference.w, problem(1).w)).toBeGreaterThan(0.1);
    expect(arrays.iterations).toBe(20);
    adam.dispose();
    reference.dispose();
    ours.dispose();
  });

  it("reads TF.js Adam's saved slots and goes on as it does; its own slots load back into TF.js Adam", async () => {
    const reference = problem(2);
    const ours = problem(2);
    const adam = tf.train.adam(0.05);
    for (let i = 0; i < 5; i++) adam.minimize(reference.loss, false, [reference.w, reference.b]);
    ours.w.assign(reference.w);
    ours.b.assign(reference.b);
    const slots = await adam.getWeights();
    expect(slots.map((s) => s.name)).toEqual(['iter', `${reference.w.name}/m`, `${reference.b.name}/m`, `${reference.w.name}/v`, `${reference.b.name}/v`]);
    const arrays = new ArrayAdam(0.05);
    await arrays.setWeights(slots);
    expect(arrays.iterations).toBe(5);
    for (let i = 0; i < 5; i++) {
      adam.minimize(reference.loss, false, [reference.w, reference.b]);
      arrays.minimize(ours.loss, false, [ours.w, ours.b]);
    }
    expect(maxDiff(reference.w, ours.w)).toBeLessThan(1e-5);
    // And back: ArrayAdam's slots, in TF.js Adam's format (names kept from the loaded slots, as TF.js does).
    const back = await arrays.getWeights();
    expect(back.map((s) => s.name)).toEqual(slots.map((s) => s.name));
    const again = tf.train.adam(0.05);
    await again.setWeights(back);
    const [, ...moments] = await again.getWeights();
    const [, ...expected] = await adam.getWeights();
    moments.forEach((m, i) => expect(maxDiff(m.tensor, (expected[i] as { tensor: tf.Tensor }).tensor)).toBeLessThan(1e-6));
    tf.dispose(back.map((s) => s.tensor));
    tf.dispose(slots[0]!.tensor);
    adam.dispose();
    again.dispose();
    reference.dispose();
    ours.dispose();
  });

  it('a zero gradient (null) decays the moments, a scale slows the step, a null entry keeps everything', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const u = tf.variable(tf.tensor1d([5]));
    const arrays = new ArrayAdam(0.1);
    arrays.step([{ variable: v, gradient: new Float32Array([1, -1]) }, { variable: u, gradient: new Float32Array([1]), scale: 0.5 }]);
    // Adam's first step is lr * sign(g) (to eps and the float32 bias corrections).
    expect(Array.from(v.dataSync())).toEqual([expect.closeTo(0.9, 5), expect.closeTo(2.1, 5)]);
    expect(u.dataSync()[0]).toBeCloseTo(4.95, 5);
    const before = Array.from(v.dataSync());
    arrays.step([null, { variable: u, gradient: null }]);
    expect(Array.from(v.dataSync())).toEqual(before);
    // Zero gradient: the first moment decays but is not zero, so the weight still moves on.
    expect(u.dataSync()[0]).toBeLessThan(4.95);
    tf.dispose([v, u]);
  });

  it('names the problem when a slot does not fit its variable', () => {
    const arrays = new ArrayAdam(0.1);
    const v = tf.variable(tf.zeros([3]));
    const w = tf.variable(tf.zeros([2]));
    arrays.step([{ variable: v, gradient: new Float32Array(3) }]);
    expect(() => arrays.step([{ variable: w, gradient: new Float32Array(2) }])).toThrow(/slot 0 .* holds 3 values, variable .* has 2/);
    tf.dispose([v, w]);
  });
});
