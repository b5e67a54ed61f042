import * as tf from '@tensorflow/tfjs';
// Registers every netblocks layer class, so that the saved model's layers deserialize.
import '@netblocks/models/register';
import { MODEL_SIDE, prepareDigit } from '../digit-preprocess.js';
import { canvasById, clearCanvas, elementById } from '../draw/canvas.js';
import { drawBars } from '../draw/bars.js';
import { greyColor } from '../draw/colors.js';
import { drawHeatmap } from '../draw/heatmap.js';
import { panelElement, renderPanel } from '../panel.js';
import { take } from '../seeded.js';

/** Written by scripts/train-mnist-model.mjs. */
const MODEL_URL = 'mnist/model.json';
const STROKE_WIDTH = 22;

/** The drawing's grey values in [0, 1] (its red channel: strokes are white on black). */
function readDrawing(canvas: HTMLCanvasElement): { pixels: Float32Array; side: number } {
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const pixels = new Float32Array(canvas.width * canvas.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (data[4 * i] as number) / 255;
  return { pixels, side: canvas.width };
}

function drawProbabilities(probabilities: Float32Array | null): void {
  const ctx = clearCanvas(canvasById('digit-probabilities-canvas'));
  const values = probabilities ?? new Float32Array(10);
  const best = values.indexOf(Math.max(...values));
  drawBars(
    ctx,
    Array.from(values, (value, d) => ({ value, color: probabilities && d === best ? '#147a7d' : '#aaa', label: String(d) })),
    { x: 6, y: 4, width: 388, height: 132, max: 1, valueText: (v) => (probabilities ? `${(100 * v).toFixed(0)}%` : '') },
  );
}

function clearDrawing(canvas: HTMLCanvasElement): void {
  clearCanvas(canvas, '#000');
  clearCanvas(canvasById('digit-input-canvas'), '#000');
  const prediction = elementById('digit-prediction');
  prediction.textContent = '?';
  prediction.dataset.prediction = '';
  drawProbabilities(null);
}

/** Prepares the drawing as the training digits were, classifies it, shows input and probabilities. */
function classify(model: tf.LayersModel, canvas: HTMLCanvasElement): void {
  const input = prepareDigit(readDrawing(canvas));
  if (input === null) return clearDrawing(canvas);
  const inputCtx = clearCanvas(canvasById('digit-input-canvas'), '#000');
  drawHeatmap(inputCtx, input, MODEL_SIDE, MODEL_SIDE, { x: 0, y: 0, cell: 3, scale: 1, color: greyColor });
  const probabilities = take(
    tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(input, [1, MODEL_SIDE, MODEL_SIDE, 1])) as tf.Tensor2D)),
  );
  const digit = probabilities.indexOf(Math.max(...probabilities));
  const prediction = elementById('digit-prediction');
  prediction.textContent = String(digit);
  prediction.dataset.prediction = String(digit);
  drawProbabilities(probabilities);
}

/** Mouse, pen or touch strokes on the canvas; `onStrokeEnd` after each one. */
function enableDrawing(canvas: HTMLCanvasElement, onStrokeEnd: () => void): void {
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  const at = (e: PointerEvent): [number, number] => {
    const rect = canvas.getBoundingClientRect();
    return [((e.clientX - rect.left) * canvas.width) / rect.width, ((e.clientY - rect.top) * canvas.height) / rect.height];
  };
  let drawing = false;
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = STROKE_WIDTH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...at(e));
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    onStrokeEnd();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}

export async function setupDigit(): Promise<void> {
  const canvas = canvasById('digit-canvas');
  await renderPanel('digit', async () => {
    const model = await tf.loadLayersModel(new URL(MODEL_URL, document.baseURI).href);
    const [, h, w, c] = model.inputs[0]?.shape ?? [];
    if (h !== MODEL_SIDE || w !== MODEL_SIDE || c !== 1) throw new Error(`${MODEL_URL}: expected a [${MODEL_SIDE}, ${MODEL_SIDE}, 1] input (got [${h}, ${w}, ${c}])`);
    clearDrawing(canvas);
    enableDrawing(canvas, () => {
      panelElement('digit').dataset.classified = 'false';
      classify(model, canvas);
      panelElement('digit').dataset.classified = 'true';
    });
    elementById('digit-clear').addEventListener('click', () => clearDrawing(canvas));
  });
}
