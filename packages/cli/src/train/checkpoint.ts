import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel, writeFileDurably } from '@netblocks/core/node';
import type { ArrayAdam } from './array-adam.js';

/** The pointer file in a run's output directory that names its last complete checkpoint. */
export const CHECKPOINT_POINTER = 'checkpoint.json';
const CHECKPOINTS_DIR = 'checkpoints';
const OPTIMIZER_FILE = 'optimizer.bin';
const STATE_FILE = 'state.json';
const MODEL_DIR = 'model';

/** What a checkpoint records besides the weights: where the run stands and how it was configured. */
export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps completed. */
  step: number;
  /** The options the run was started with (checked on resume). */
  config: Record<string, unknown>;
  /** Free-form per-epoch records. */
  history: unknown[];
}

interface StateFile extends CheckpointState {
  optimizerWeights: tf.io.WeightsManifestEntry[];
  /**
   * Adam's beta1^t and beta2^t, exactly: `setWeights` recomputes them with `pow`, which differs
   * from the running product in the last bit; on weights whose gradient is near zero Adam's step
   * m/sqrt(v) is about lr * sign(g) and magnifies that bit, so a resumed run would drift from the
   * uninterrupted one. Saved exactly, resume is bit-exact.
   */
  adamProducts: [number, number] | null;
}

/** A checkpoint read back: a model with its weights, the optimizer's slots, and the state. */
export interface LoadedCheckpoint {
  model: tf.LayersModel;
  optimizerWeights: { name: string; tensor: tf.Tensor }[];
  /** Adam's bias-correction products, to restore after `setWeights` (`ArrayAdam.products`). */
  adamProducts: [number, number] | null;
  state: CheckpointState;
  dir: string;
}

/**
 * The file-system steps `saveCheckpoint` takes, in one mutable object so that a test can make one
 * of them fail and check that the previous checkpoint survives. Not a public API.
 */
export const checkpointFileOps = {
  /** Creates `file` (it must not exist), writes `data` and flushes it to disk. */
  writeFileDurably,
  rename: (from: string, to: string): Promise<void> => fs.rename(from, to),
};

function epochDirName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** Reads the pointer: the directory of the last complete checkpoint in `outDir`, or null if none. */
async function readPointer(outDir: string): Promise<{ epoch: number; path: string } | null> {
  const file = path.join(outDir, CHECKPOINT_POINTER);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const pointer = JSON.parse(text) as { epoch?: unknown; path?: unknown };
  if (typeof pointer.epoch !== 'number' || typeof pointer.path !== 'string') throw new Error(`${file} is not a checkpoint pointer`);
  return { epoch: pointer.epoch, path: pointer.path };
}

/**
 * Saves the model, the optimizer's slots (Adam's moments and step count) and `state` as the
 * checkpoint of epoch `state.epoch` in `outDir`, atomically: everything is written and flushed into
 * a temp directory, renamed to `checkpoints/epoch-NNNN`, and only then does the pointer file
 * (`checkpoint.json`, itself replaced by a rename) name it. A crash at any point leaves the previous
 * pointer naming a complete checkpoint. Older checkpoints are removed afterwards.
 */
export async function saveCheckpoint(outDir: string, model: tf.LayersModel, optimizer: ArrayAdam, state: CheckpointState): Promise<string> {
  const root = path.join(outDir, CHECKPOINTS_DIR);
  await fs.mkdir(root, { recursive: true });
  const name = epochDirName(state.epoch);
  const target = path.join(root, name);
  const temp = await fs.mkdtemp(path.join(root, `.${name}.saving-`));
  try {
    await saveModel(model, path.join(temp, MODEL_DIR));
    const slots = await optimizer.getWeights();
    // New tensors (the step count, then copies of the moments), TF.js Adam's slots.
    const { data, specs } = await tf.io.encodeWeights(slots).finally(() => tf.dispose(slots.map((s) => s.tensor)));
    await checkpointFileOps.writeFileDurably(path.join(temp, OPTIMIZER_FILE), new Uint8Array(data));
    const stateFile: StateFile = { ...state, optimizerWeights: specs, adamProducts: optimizer.products };
    await checkpointFileOps.writeFileDurably(path.join(temp, STATE_FILE), JSON.stringify(stateFile, null, 2));
    // A directory of this epoch not named by the pointer is left over from a crashed save.
    await fs.rm(target, { recursive: true, force: true });
    await checkpointFileOps.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw new Error(`Cannot save the checkpoint of epoch ${state.epoch} in ${outDir}: ${(error as Error).message}`, { cause: error });
  }
  const pointerTemp = path.join(outDir, `.${CHECKPOINT_POINTER}.${process.pid}.tmp`);
  try {
    await fs.rm(pointerTemp, { force: true });
    await checkpointFileOps.writeFileDurably(pointerTemp, JSON.stringify({ epoch: state.epoch, path: `${CHECKPOINTS_DIR}/${name}` }));
    await checkpointFileOps.rename(pointerTemp, path.join(outDir, CHECKPOINT_POINTER));
  } catch (error) {
    await fs.rm(pointerTemp, { force: true });
    await fs.rm(target, { recursive: true, force: true });
    throw new Error(`Cannot save the checkpoint of epoch ${state.epoch} in ${outDir}: ${(error as Error).message}`, { cause: error });
  }
  for (const entry of await fs.readdir(root)) {
    if (entry !== name) await fs.rm(path.join(root, entry), { recursive: true, force: true });
  }
  return target;
}

/** The last complete checkpoint in `outDir`, or null when it has none. Custom layers must be
 * registered (`import '@netblocks/models/register'`). */
export async function loadCheckpoint(outDir: string): Promise<LoadedCheckpoint | null> {
  const pointer = await readPointer(outDir);
  if (pointer === null) return null;
  const dir = path.resolve(outDir, pointer.path);
  const stateFile = JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), 'utf8')) as StateFile;
  const bytes = await fs.readFile(path.join(dir, OPTIMIZER_FILE));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const decoded = tf.io.decodeWeights(buffer, stateFile.optimizerWeights);
  const optimizerWeights = stateFile.optimizerWeights.map((spec) => ({ name: spec.name, tensor: decoded[spec.name] as tf.Tensor }));
  const model = await loadModel(path.join(dir, MODEL_DIR));
  const { optimizerWeights: _specs, adamProducts, ...state } = stateFile;
  return { model, optimizerWeights, adamProducts: adamProducts ?? null, state, dir };
}
