// Test page of pretrained-browser.test.ts: the published `createPretrainedModel` of @netblocks/models,
// bundled by vite as an application would, on the cpu backend (exact float32), driven through
// `window.runPretrained` by the test.
import * as tf from '@tensorflow/tfjs';
import { createPretrainedModel, type CheckpointLocation } from '@netblocks/models';

interface Run {
  model: string;
  weights: CheckpointLocation;
  endpoint: string;
  input: number[];
  shape: [number, number, number, number];
}

async function runPretrained(run: Run) {
  const received: number[] = [];
  const model = await createPretrainedModel(run.model, {
    weights: run.weights,
    endpoint: run.endpoint,
    inputShape: run.shape.slice(1) as [number, number, number],
    onProgress: (p) => received.push(p.received),
  });
  const output = tf.tidy(() => model.predict(tf.tensor(run.input, run.shape)) as tf.Tensor);
  const logits = Array.from(await output.data());
  output.dispose();
  const labels = model.pretrainedCfg.labels?.slice() ?? null;
  model.dispose();
  const cached = await (await caches.open('netblocks-weights')).keys();
  return { logits, received, labels, cached: cached.map((r) => r.url) };
}

declare global {
  interface Window {
    runPretrained: typeof runPretrained;
  }
}

await tf.setBackend('cpu');
window.runPretrained = runPretrained;
document.body.dataset.ready = 'true';
