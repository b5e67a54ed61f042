import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel, writeFileDurably } from '@netblocks/core/node';
import { oneLine, UsageError } from '../errors.js';

/** Loads the model saved in `dir` (any netblocks model: every custom layer is registered first);
 * a missing or unreadable directory is a usage error. */
export async function loadSavedModel(dir: string): Promise<tf.LayersModel> {
  await import('@netblocks/models/register');
  try {
    return await loadModel(dir);
  } catch (error) {
    throw new UsageError(oneLine(error));
  }
}

/** The model's input shape `[height, width, channels]`, or a usage error when it is not fixed. */
export function fixedInputShape(model: tf.LayersModel, dir: string): [number, number, number] {
  const shape = model.inputs[0]?.shape ?? [];
  const [h, w, c] = [shape[1], shape[2], shape[3]];
  if (model.inputs.length !== 1 || typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') {
    throw new UsageError(`${dir}: the model's input shape ${JSON.stringify(shape)} is not one fixed [batch, height, width, channels]`);
  }
  return [h, w, c];
}

/**
 * Writes `bytes` to `file` atomically: into a temp file beside it, flushed, then renamed over it, so
 * a reader never sees half a file and a failed write leaves the previous one.
 */
export async function writeFileAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await fs.rm(temp, { force: true });
    await writeFileDurably(temp, bytes);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw new UsageError(`cannot write ${file}: ${oneLine(error)}`);
  }
}

/** `saveModel` (atomic: the directory is replaced as a whole); a directory it may not replace is a usage error. */
export async function saveModelTo(model: tf.LayersModel, dir: string): Promise<void> {
  try {
    await saveModel(model, dir);
  } catch (error) {
    throw new UsageError(oneLine(error));
  }
}
