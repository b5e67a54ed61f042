import * as fs from 'node:fs/promises';
import type * as tf from '@tensorflow/tfjs';
import { loadTorchWeights, type MismatchedWeight, type TorchWeightSource, type TorchWeightsReport } from '@netblocks/models';
import { oneLine, UsageError } from '../errors.js';
import { initInferenceBackend } from '../inspect/backend.js';
import { buildNamedModel, defaultInputSize, type BuildOptions } from '../inspect/models.js';
import type { TrainBackend } from '../train/config.js';
import { checkModelName } from '../train/run.js';
import { saveModelTo } from './saved-model.js';

/** Options of `importTorchWeights`: how the model is built, and how the checkpoint is read. */
export interface ImportOptions extends BuildOptions {
  /** The library whose names the keys follow. Default detected from the keys. */
  from?: TorchWeightSource;
  /** Save what fits and report the rest, instead of refusing a checkpoint that does not fit. Default false. */
  partial?: boolean;
  /** Default 'wasm'. */
  backend?: TrainBackend;
}

/** What `importTorchWeights` loaded and saved. */
export interface ImportReport {
  model: string;
  weightsFile: string;
  outDir: string;
  inputShape: [number, number, number];
  /** The classifier's outputs: `numClasses` if given, else the checkpoint's. */
  numClasses: number | null;
  /** The naming the keys were read in. */
  from: TorchWeightSource | null;
  /** PyTorch keys loaded. */
  loaded: string[];
  missing: string[];
  unexpected: string[];
  mismatched: MismatchedWeight[];
}

async function readWeights(file: string): Promise<Uint8Array> {
  try {
    const bytes = await fs.readFile(file);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `cannot read ${file}: ${(error as Error).message}`);
  }
}

function load(model: tf.LayersModel, bytes: Uint8Array, file: string, from: TorchWeightSource | undefined): TorchWeightsReport {
  try {
    return loadTorchWeights(model, bytes, { strict: false, ...(from === undefined ? {} : { from }) });
  } catch (error) {
    // Not safetensors, or a bad `from`: the message says which.
    throw new UsageError(`${file}: ${oneLine(error)}`);
  }
}

const shape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** One line on what does not fit: counts and the first key of each kind. */
function misfit(report: TorchWeightsReport): string {
  const parts: string[] = [];
  if (report.missing.length) parts.push(`${report.missing.length} weights missing (first "${report.missing[0]}")`);
  if (report.unexpected.length) parts.push(`${report.unexpected.length} unexpected keys (first "${report.unexpected[0]}")`);
  const m = report.mismatched[0];
  if (m) parts.push(`${report.mismatched.length} shapes differ (first "${m.key}": model ${shape(m.expectedShape)}, file ${shape(m.gotShape)} ${m.gotDtype})`);
  return parts.join(', ');
}

/**
 * Builds the registered model `model` and loads the PyTorch state dict in `weightsFile`
 * (safetensors or torch.save, told apart by content; keys in the family's or a translated library's names) into it, then saves it to
 * `outDir`. Without `numClasses`, the classifier takes the checkpoint's number of classes. A
 * checkpoint that does not fit completely is refused (nothing saved) unless `partial`.
 */
export async function importTorchWeights(model: string, weightsFile: string, outDir: string, options: ImportOptions = {}): Promise<ImportReport> {
  checkModelName(model);
  const bytes = await readWeights(weightsFile);
  await initInferenceBackend(options.backend ?? 'wasm');
  const size = options.imageSize ?? defaultInputSize(model);
  let built = buildNamedModel(model, { ...options, imageSize: size });
  try {
    let report = load(built, bytes, weightsFile, options.from);
    if (report.head && options.numClasses === undefined) {
      // The checkpoint's classifier has another number of classes than the default 1000: follow it.
      built.dispose();
      built = buildNamedModel(model, { ...options, imageSize: size, numClasses: report.head.checkpointClasses });
      report = load(built, bytes, weightsFile, options.from);
    }
    if (report.loaded.length === 0) throw new UsageError(`${weightsFile}: no weight of ${model} is in the file (${misfit(report)})`);
    const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
    if (problems > 0 && !options.partial) {
      const head = report.head ? `; the file's classifier has ${report.head.checkpointClasses} classes (give --classes ${report.head.checkpointClasses})` : '';
      throw new UsageError(`${weightsFile} does not fit ${model}: ${misfit(report)}${head}; nothing saved (--partial saves what fits)`);
    }
    await saveModelTo(built, outDir);
    const units = built.outputs[0]?.shape[1];
    return {
      model,
      weightsFile,
      outDir,
      inputShape: [size, size, options.channels ?? 3],
      numClasses: typeof units === 'number' ? units : null,
      from: report.from ?? null,
      loaded: report.loaded,
      missing: report.missing,
      unexpected: report.unexpected,
      mismatched: report.mismatched,
    };
  } finally {
    built.dispose();
  }
}
