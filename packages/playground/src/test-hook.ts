// `window.netblocksPlayground`: what a test cannot read off the page. The panels are driven through
// their real controls; this only hands out the logits of the model a tool panel holds now, for one
// input given as numbers, so that a test can compare them with the downloaded files reloaded
// elsewhere.
import * as tf from '@tensorflow/tfjs';

const models = new Map<string, tf.LayersModel>();

/** Records the model that tool panel `tool` holds now (null: none). */
export function holdModel(tool: string, model: tf.LayersModel | null): void {
  if (model === null) models.delete(tool);
  else models.set(tool, model);
}

/** The model's raw outputs for `input` (already preprocessed, NHWC `shape`). */
async function logits(tool: string, input: number[], shape: [number, number, number, number]): Promise<number[]> {
  const model = models.get(tool);
  if (model === undefined) throw new Error(`the ${tool} panel holds no model`);
  const output = tf.tidy(() => model.predict(tf.tensor4d(input, shape)) as tf.Tensor);
  const values = Array.from(await output.data());
  output.dispose();
  return values;
}

const hook = { logits };

declare global {
  interface Window {
    netblocksPlayground: typeof hook;
  }
}

export function installTestHook(): void {
  window.netblocksPlayground = hook;
}
