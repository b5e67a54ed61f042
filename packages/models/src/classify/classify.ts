// Images in, labels out (`classify`), or pooled features out (`embed`), with the preprocessing the
// model's weights were trained with. The platform entries bind the image reader: Node's decodes
// files, a page's uses the browser.

import * as tf from '@tensorflow/tfjs';
import type { Preprocessing } from '../types.js';
import { createInferenceEngineWith } from '../engine/create.js';
import type { OnnxPlatform } from '../engine/platform.js';
import { checkEngineChoice, type EngineChoice, type InferenceEngine } from '../engine/types.js';
import { readImages, type ImageInput, type ImageReader } from './image-input.js';
import { modelCard } from './model-card.js';
import { preprocessImage } from './preprocess.js';

/** `classify(model, image, options)`: the `topk` classes of one image; of each image for an array or an `[N, H, W, C]` tensor. */
export interface Classify {
  (model: tf.LayersModel, images: readonly ImageInput[] | tf.Tensor4D, options?: ClassifyOptions): Promise<Classification[][]>;
  (model: tf.LayersModel, image: ImageInput, options?: ClassifyOptions): Promise<Classification[]>;
}

/** `embed(model, images, options)`: `[images, features]`. */
export type Embed = (model: tf.LayersModel, images: ImageInput | readonly ImageInput[], options?: ImageModelOptions) => Promise<tf.Tensor2D>;

/** One class of a prediction. */
export interface Classification {
  /** The class name, when the model carries its labels (or `labels` gives them); null otherwise. */
  label: string | null;
  index: number;
  probability: number;
}

/** Options of `classify` and `embed`. */
export interface ImageModelOptions {
  /** How to prepare the images. Default the model's own (its `pretrainedCfg`, or what `netblocks train` saved with it). */
  preprocessing?: Preprocessing;
  /** Images per forward pass. Default 16. */
  batchSize?: number;
  /**
   * What runs the network: `'tfjs'` (default: `model.predict` on TF.js's active backend, as
   * before), `'onnxruntime'` (the model's ONNX export in onnxruntime-node, or onnxruntime-web in
   * the browser entry; an error if it is not installed) or `'auto'` (onnxruntime when installed).
   * Preprocessing and the softmax / top-k are the same code either way. onnxruntime builds its
   * session once per call (an export and a graph optimization): give many images to one call, or
   * use `createInferenceEngine` directly for a long-lived session.
   */
  engine?: EngineChoice;
}

/** Options of `classify`. */
export interface ClassifyOptions extends ImageModelOptions {
  /** Classes per image, most probable first. Default 5 (or the number of classes if fewer). */
  topk?: number;
  /** Class names by index. Default the model's own. */
  labels?: readonly string[];
}

function positiveInteger(fn: string, what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: \`${what}\` must be a positive integer (got ${what}=${value})`);
  return value;
}

/** The recipe to use, and the input the model takes. */
function inputPlan(fn: string, model: tf.LayersModel, options: ImageModelOptions): { recipe: Preprocessing; channels: 1 | 3 } {
  const recipe = options.preprocessing ?? modelCard(model).preprocessing;
  if (recipe === undefined) {
    throw new Error(`${fn}: the model carries no preprocessing (it comes neither from createPretrainedModel nor from netblocks train): pass \`preprocessing\``);
  }
  const shape = model.inputs[0]?.shape;
  if (shape === undefined || shape.length !== 4) throw new Error(`${fn}: the model must take one NHWC image input (got input shape ${JSON.stringify(shape)})`);
  const [, h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new Error(`${fn}: the model's input must have 1 or 3 channels (got ${String(c)})`);
  const size = recipe.crop.size;
  if ((h != null && h !== size) || (w != null && w !== size)) {
    throw new Error(`${fn}: the preprocessing crops ${size}x${size} but the model takes ${String(h)}x${String(w)} inputs`);
  }
  return { recipe, channels: c };
}

/** Where `classify` and `embed` run: the platform's image reader, and its onnxruntime for `engine`. */
export interface ImagePlatform {
  reader: ImageReader;
  onnx: OnnxPlatform;
}

/**
 * Runs `network` (the model, or its feature part) on the preprocessed images, `batchSize` at a
 * time, through the engine `options.engine` picks, then `post` (a tidy-safe op on the output), and
 * returns each batch's rows.
 */
async function forwardImages(
  fn: string,
  model: tf.LayersModel,
  network: tf.LayersModel,
  images: readonly ImageInput[],
  platform: ImagePlatform,
  options: ImageModelOptions,
  post: (output: tf.Tensor) => tf.Tensor2D,
): Promise<Float32Array[]> {
  const { recipe, channels } = inputPlan(fn, model, options);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 16);
  const choice = checkEngineChoice(fn, options.engine ?? 'tfjs');
  const pixels = await readImages(images, platform.reader, fn);
  const size = recipe.crop.size;
  const rows: Float32Array[] = [];
  // `optimize: false`: TF.js runs the caller's model as it is (optimizing it would copy every weight on every call).
  const engine: InferenceEngine = await createInferenceEngineWith(platform.onnx, network, { engine: choice, optimize: false });
  try {
    for (let start = 0; start < pixels.length; start += batchSize) {
      const chunk = pixels.slice(start, start + batchSize);
      const batch = new Float32Array(chunk.length * size * size * channels);
      chunk.forEach((image, i) => batch.set(preprocessImage(image, recipe, channels).data, i * size * size * channels));
      const x = tf.tensor4d(batch, [chunk.length, size, size, channels]);
      let y: tf.Tensor;
      try {
        y = await engine.predict(x);
      } finally {
        x.dispose();
      }
      let output: tf.Tensor2D | undefined;
      try {
        output = tf.tidy(() => post(y));
      } finally {
        // `post` may hand the output back as it is (a classifier that ends in a softmax).
        if (output !== y) y.dispose();
      }
      const [n, width] = output.shape;
      const values = (await output.data()) as Float32Array;
      output.dispose();
      for (let i = 0; i < n; i++) rows.push(values.slice(i * width, (i + 1) * width));
    }
  } finally {
    await engine.dispose();
  }
  return rows;
}

/** Whether the model's output already is a softmax (a Keras-style classifier). */
function endsInSoftmax(model: tf.LayersModel): boolean {
  const last = model.layers.at(-1);
  return (last?.getConfig() as { activation?: string } | undefined)?.activation === 'softmax';
}

/** The `k` largest entries of `probabilities`, most probable first (ties: lower index first). */
function topClasses(probabilities: Float32Array, k: number, labels: readonly string[] | undefined): Classification[] {
  const order = Array.from(probabilities.keys()).sort((a, b) => (probabilities[b] as number) - (probabilities[a] as number) || a - b);
  return order.slice(0, k).map((index) => ({ label: labels?.[index] ?? null, index, probability: probabilities[index] as number }));
}

/** `classify` on one platform; the platform entries export it bound (`Classify`). */
export async function classifyWith(
  platform: ImagePlatform,
  model: tf.LayersModel,
  images: ImageInput | readonly ImageInput[],
  options: ClassifyOptions = {},
): Promise<Classification[] | Classification[][]> {
  const fn = 'classify';
  const batch = Array.isArray(images) || (images instanceof tf.Tensor && images.rank === 4);
  const list = (Array.isArray(images) ? images : [images]) as readonly ImageInput[];
  const classes = model.outputs[0]?.shape.at(-1);
  if (model.outputs.length !== 1 || typeof classes !== 'number' || model.outputs[0]?.shape.length !== 2) {
    throw new Error(`${fn}: the model must have one [batch, classes] output (got ${JSON.stringify(model.outputs.map((o) => o.shape))}); for features use embed`);
  }
  const labels = options.labels ?? modelCard(model).labels;
  if (labels !== undefined && labels.length !== classes) throw new Error(`${fn}: \`labels\` has ${labels.length} names for ${classes} classes`);
  const k = Math.min(positiveInteger(fn, 'topk', options.topk ?? 5), classes);
  const softmax = !endsInSoftmax(model);
  const rows = await forwardImages(fn, model, model, list, platform, options, (y) => (softmax ? tf.softmax(y as tf.Tensor2D) : (y as tf.Tensor2D)));
  const results = rows.map((row) => topClasses(row, k, labels));
  return batch ? results : (results[0] as Classification[]);
}

/** The layer whose input is the pooled features: the last Dense layer, when it produces the output. */
function featureModel(model: tf.LayersModel): tf.LayersModel {
  const output = model.outputs[0];
  if (output === undefined || model.outputs.length !== 1) throw new Error('embed: the model must have one output');
  const last = output.sourceLayer;
  if (last.getClassName() !== 'Dense') return model;
  const cached = FEATURE_MODELS.get(model);
  if (cached) return cached;
  const features = tf.model({ inputs: model.inputs, outputs: last.input as tf.SymbolicTensor, name: `${model.name}_features` });
  FEATURE_MODELS.set(model, features);
  return features;
}

const FEATURE_MODELS = new WeakMap<tf.LayersModel, tf.LayersModel>();

/**
 * `embed` on one platform: the pooled features (what `numClasses: 0` returns, timm's pre-logits) of
 * each image, `[images, features]`. A model with a classifier is cut before its last Dense layer; a
 * model ending in a feature map is average-pooled. With `engine: 'onnxruntime'` the cut model is
 * what gets exported, so onnxruntime computes the same pre-logits.
 */
export async function embedWith(platform: ImagePlatform, model: tf.LayersModel, images: ImageInput | readonly ImageInput[], options: ImageModelOptions = {}): Promise<tf.Tensor2D> {
  const list = (Array.isArray(images) ? images : [images]) as readonly ImageInput[];
  const features = featureModel(model);
  const rows = await forwardImages('embed', model, features, list, platform, options, (y) => {
    if (y.rank === 4) return tf.mean(y, [1, 2]) as tf.Tensor2D;
    if (y.rank !== 2) throw new Error(`embed: the features must be [batch, features] or a feature map (got shape [${y.shape}])`);
    return y as tf.Tensor2D;
  });
  const width = rows[0]?.length ?? 0;
  const flat = new Float32Array(rows.length * width);
  rows.forEach((row, i) => flat.set(row, i * width));
  return tf.tensor2d(flat, [rows.length, width]);
}
