// Fine-tuning on images held in memory (a page's dropped files, a handful of photos in Node): each
// image is prepared once with the model's preprocessing, then Adam trains the new classifier alone
// for `freezeEpochs` (the backbone frozen, BatchNorm in inference mode) and then the whole network,
// the backbone at `backboneLrScale` of the learning rate (BatchNorm as `batchNorm` says).
// `netblocks train` does the same on folders, with checkpoints.

import * as tf from '@tensorflow/tfjs';
import { readImages, type ImageInput, type ImageReader } from '../classify/image-input.js';
import { modelCard } from '../classify/model-card.js';
import { preprocessImage } from '../classify/preprocess.js';
import type { Preprocessing } from '../types.js';
import { seededPermutation, seededRandom } from './random.js';
import { classifierVariables, fineTuneStep } from './step.js';

/** One labelled image. */
export interface FineTuneExample {
  image: ImageInput;
  /** Its class, an index into the model's outputs. */
  label: number;
}

/** Options of `fineTune`. */
export interface FineTuneOptions {
  /** Default 5. */
  epochs?: number;
  /** Epochs (from the first) that train the classifier only. Default 1. */
  freezeEpochs?: number;
  /** Default 8. */
  batchSize?: number;
  /** Adam's learning rate for the classifier. Default 1e-3. */
  learningRate?: number;
  /** The backbone's learning rate as a fraction of `learningRate`. Default 0.1. */
  backboneLrScale?: number;
  /** Default 0. */
  labelSmoothing?: number;
  /** Mirror each image left to right with probability 1/2. Default true. */
  flip?: boolean;
  /**
   * BatchNorm once the backbone trains: `'inference'` (the default) keeps its running statistics and
   * normalizes with them (and turns dropout off), as Keras advises for fine-tuning on little data —
   * batch statistics of a few images, or of a batch of one class, wipe out what tells the classes
   * apart; `'train'` uses and updates the batch statistics, as timm's training does on large sets.
   * While the backbone is frozen it is always in inference mode.
   */
  batchNorm?: 'inference' | 'train';
  /** Seed of the shuffling and the flips (the new classifier's initial weights are the model's). Default 0. */
  seed?: number;
  /** How to prepare the images. Default the model's own (its `pretrainedCfg` or model card). */
  preprocessing?: Preprocessing;
  /** After every step. */
  onStep?: (progress: FineTuneProgress) => void;
  /** Stops after the current step. */
  signal?: AbortSignal;
}

/** Where a fine-tune stands, after a step. */
export interface FineTuneProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** The step's loss and the epoch's running means. */
  loss: number;
  epochLoss: number;
  epochAccuracy: number;
  frozen: boolean;
}

/** What one epoch did. */
export interface FineTuneEpoch {
  epoch: number;
  loss: number;
  accuracy: number;
  frozen: boolean;
}

function check(ok: boolean, what: string, value: unknown, must: string): void {
  if (!ok) throw new Error(`fineTune: \`${what}\` must be ${must} (got ${what}=${JSON.stringify(value)})`);
}

/** `fineTune` for one image reader; the platform entries export it bound. */
export async function fineTuneWith(reader: ImageReader, model: tf.LayersModel, examples: readonly FineTuneExample[], options: FineTuneOptions = {}): Promise<FineTuneEpoch[]> {
  const epochs = options.epochs ?? 5;
  const freezeEpochs = options.freezeEpochs ?? 1;
  const batchSize = options.batchSize ?? 8;
  const learningRate = options.learningRate ?? 1e-3;
  const backboneLrScale = options.backboneLrScale ?? 0.1;
  const labelSmoothing = options.labelSmoothing ?? 0;
  check(Number.isInteger(epochs) && epochs > 0, 'epochs', epochs, 'a positive integer');
  check(Number.isInteger(freezeEpochs) && freezeEpochs >= 0 && freezeEpochs <= epochs, 'freezeEpochs', freezeEpochs, 'an integer from 0 to the epochs');
  check(Number.isInteger(batchSize) && batchSize > 0, 'batchSize', batchSize, 'a positive integer');
  check(learningRate > 0 && Number.isFinite(learningRate), 'learningRate', learningRate, 'a positive number');
  check(backboneLrScale > 0 && backboneLrScale <= 1, 'backboneLrScale', backboneLrScale, 'in (0, 1]');
  check(labelSmoothing >= 0 && labelSmoothing < 1, 'labelSmoothing', labelSmoothing, 'in [0, 1)');
  check(examples.length > 0, 'examples', examples.length, 'at least one image');
  const batchNorm = options.batchNorm ?? 'inference';
  check(batchNorm === 'inference' || batchNorm === 'train', 'batchNorm', batchNorm, "'inference' or 'train'");
  const numClasses = model.outputs[0]?.shape.at(-1) as number;
  examples.forEach((e, i) => check(Number.isInteger(e.label) && e.label >= 0 && e.label < numClasses, `examples[${i}].label`, e.label, `a class index below the model's ${numClasses} outputs`));
  const recipe = options.preprocessing ?? modelCard(model).preprocessing;
  if (recipe === undefined) throw new Error('fineTune: the model carries no preprocessing: pass `preprocessing`');
  const channels = model.inputs[0]?.shape[3] as 1 | 3;
  const size = recipe.crop.size;
  const pixels = size * size * channels;
  const images = await readImages(examples.map((e) => e.image), reader, 'fineTune');
  if (images.length !== examples.length) throw new Error(`fineTune: each example must be one image (got ${images.length} images for ${examples.length} examples)`);
  const data = new Float32Array(images.length * pixels);
  images.forEach((image, i) => data.set(preprocessImage(image, recipe, channels).data, i * pixels));
  const labels = Int32Array.from(examples, (e) => e.label);

  const head = classifierVariables(model);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(learningRate);
  const random = seededRandom((options.seed ?? 0) ^ 0x2545f491);
  const steps = Math.ceil(examples.length / batchSize);
  const history: FineTuneEpoch[] = [];
  try {
    for (let epoch = 0; epoch < epochs && !options.signal?.aborted; epoch++) {
      const frozen = epoch < freezeEpochs;
      const order = seededPermutation(examples.length, (options.seed ?? 0) * 1000 + epoch);
      let lossSum = 0;
      let correctSum = 0;
      let seen = 0;
      for (let s = 0; s < steps && !options.signal?.aborted; s++) {
        const batch = order.subarray(s * batchSize, (s + 1) * batchSize);
        const x = new Float32Array(batch.length * pixels);
        batch.forEach((from, i) => {
          const image = data.subarray(from * pixels, (from + 1) * pixels);
          const out = x.subarray(i * pixels, (i + 1) * pixels);
          if (options.flip !== false && random() < 0.5) {
            for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) out.set(image.subarray((r * size + c) * channels, (r * size + c + 1) * channels), (r * size + size - 1 - c) * channels);
          } else {
            out.set(image);
          }
        });
        let correct: tf.Scalar | undefined;
        const loss = tf.tidy(() => {
          const xs = tf.tensor4d(x, [batch.length, size, size, channels]);
          const ys = tf.oneHot(tf.tensor1d(Int32Array.from(batch, (i) => labels[i] as number), 'int32'), numClasses).toFloat();
          return fineTuneStep(optimizer, variables, () => {
            const logits = model.apply(xs, { training: !frozen && batchNorm === 'train' }) as tf.Tensor2D;
            correct = tf.keep(tf.sum(tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)).toFloat()) as tf.Scalar);
            return tf.losses.softmaxCrossEntropy(ys, logits, undefined, labelSmoothing) as tf.Scalar;
          }, { head, frozen, backboneLrScale });
        });
        const [l, c] = await Promise.all([loss.data(), (correct as tf.Scalar).data()]);
        tf.dispose([loss, correct as tf.Scalar]);
        lossSum += (l[0] as number) * batch.length;
        correctSum += c[0] as number;
        seen += batch.length;
        options.onStep?.({ epoch: epoch + 1, epochs, step: s + 1, steps, loss: l[0] as number, epochLoss: lossSum / seen, epochAccuracy: correctSum / seen, frozen });
        // Let a page repaint between steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (seen > 0) history.push({ epoch: epoch + 1, loss: lossSum / seen, accuracy: correctSum / seen, frozen });
    }
  } finally {
    optimizer.dispose();
  }
  return history;
}
