import * as fs from 'node:fs/promises';
import { exportOnnx, saveTorchWeights, type TorchWeightSource } from '@netblocks/models';
import { oneLine, UsageError } from '../errors.js';
import { initInferenceBackend } from '../inspect/backend.js';
import type { TrainBackend } from '../train/config.js';
import { loadSavedModel, writeFileAtomically } from './saved-model.js';

/** Options of `exportSavedModel`: at least one of `torch` and `onnx`. */
export interface ExportOptions {
  /** Write the weights as a PyTorch state dict in safetensors to this file. */
  torch?: string;
  /** Write the whole network as an ONNX model to this file. */
  onnx?: string;
  /** ONNX operator set, 13 to 21. Default 13. */
  opset?: number;
  /** Key names of the state dict: another library's, for the families that translate. Default the family's own. */
  to?: TorchWeightSource;
  /** Default 'wasm'. */
  backend?: TrainBackend;
}

/** One file `exportSavedModel` wrote. */
export interface ExportedFile {
  format: 'torch' | 'onnx';
  path: string;
  bytes: number;
}

function convert<T>(what: string, dir: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new UsageError(`${dir}: cannot export ${what}: ${oneLine(error)}`);
  }
}

/**
 * Loads the model saved in `modelDir` and writes it as a PyTorch state dict (`saveTorchWeights`)
 * and/or an ONNX model (`exportOnnx`); each file is written atomically (temp file, then rename).
 */
export async function exportSavedModel(modelDir: string, options: ExportOptions): Promise<{ modelDir: string; model: string; files: ExportedFile[] }> {
  if (options.torch === undefined && options.onnx === undefined) throw new UsageError('give --torch <file.safetensors> or --onnx <file.onnx> (or both)');
  await initInferenceBackend(options.backend ?? 'wasm');
  const model = await loadSavedModel(modelDir);
  try {
    const files: ExportedFile[] = [];
    if (options.torch !== undefined) {
      const to = options.to;
      const bytes = convert('PyTorch weights', modelDir, () => saveTorchWeights(model, to === undefined ? {} : { to }));
      await writeFileAtomically(options.torch, bytes);
      files.push({ format: 'torch', path: options.torch, bytes: (await fs.stat(options.torch)).size });
    }
    if (options.onnx !== undefined) {
      const opset = options.opset;
      const bytes = convert('ONNX', modelDir, () => exportOnnx(model, opset === undefined ? {} : { opset }));
      await writeFileAtomically(options.onnx, bytes);
      files.push({ format: 'onnx', path: options.onnx, bytes: (await fs.stat(options.onnx)).size });
    }
    return { modelDir, model: model.name, files };
  } finally {
    model.dispose();
  }
}
