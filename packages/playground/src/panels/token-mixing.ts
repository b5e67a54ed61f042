import * as tf from '@tensorflow/tfjs';
import { TokenMixing } from '@netblocks/mlp-mixer';
import { canvasById, clearCanvas, elementById } from '../draw/canvas.js';
import { drawHeatmap } from '../draw/heatmap.js';
import { renderPanel } from '../panel.js';
import { seedLayerWeights, take } from '../seeded.js';

const TOKENS = 16;
const HIDDEN = 32;
const CHANNELS = 4;

/** A TokenMixing layer (S = 16 -> D_S = 32 -> 16) in a one-layer model, seeded weights. */
function buildTokenMixing(): { model: tf.LayersModel; layer: TokenMixing } {
  const input = tf.input({ shape: [TOKENS, CHANNELS] });
  const layer = new TokenMixing({ name: 'mlp_tokens', tokenMlpDim: HIDDEN });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  // Glorot-uniform scale (fans S and D_S), as the layer's own initializer, but seeded.
  const limit = Math.sqrt(6 / (TOKENS + HIDDEN));
  seedLayerWeights(layer, 21, 0.1, (index, shape, seed) => (index % 2 === 0 ? tf.randomUniform(shape, -limit, limit, 'float32', seed) : undefined));
  return { model, layer };
}

/**
 * How output token `t` moves when input token `s` alone is set to 1 (every channel), from
 * the layer run on the S one-hot inputs and on zeros: entry `[t, s]` of an S x S matrix.
 */
export function tokenResponse(model: tf.LayersModel): Float32Array {
  return take(
    tf.tidy(() => {
      const oneHots = tf.tile(tf.reshape(tf.eye(TOKENS), [TOKENS, TOKENS, 1]), [1, 1, CHANNELS]);
      const base = model.predict(tf.zeros([1, TOKENS, CHANNELS])) as tf.Tensor;
      const moved = tf.sub(model.predict(oneHots) as tf.Tensor, base); // [s, t, c]
      // Channel 0's column; every channel shares the token MLP, so the others are equal.
      return tf.transpose(tf.reshape(tf.slice(moved, [0, 0, 0], [TOKENS, TOKENS, 1]), [TOKENS, TOKENS]));
    }),
  );
}

function draw(): void {
  const { model, layer } = buildTokenMixing();
  const fc1 = layer.getWeights()[0]?.dataSync() as Float32Array;
  const response = tokenResponse(model);
  model.dispose();
  const ctx = clearCanvas(canvasById('token-mixing-canvas'));
  drawHeatmap(ctx, fc1, TOKENS, HIDDEN, { x: 6, y: 4, cell: 5, title: 'fc1 kernel [S, D_S]' });
  drawHeatmap(ctx, response, TOKENS, TOKENS, { x: 190, y: 4, cell: 10, title: 'response [out, in token]' });
  elementById('token-mixing-result').textContent =
    `${TOKENS} tokens (a 4x4 grid of patches), D_S=${HIDDEN}: ${layer.countParams()} weights, shared by every channel`;
}

export async function setupTokenMixing(): Promise<void> {
  await renderPanel('token-mixing', draw);
}
