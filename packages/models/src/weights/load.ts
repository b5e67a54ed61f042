import * as tf from '@tensorflow/tfjs';
import { readTensorFile, type TensorFile } from '@netblocks/core';
import { mapModel, type MappedWeight } from './mapping.js';
import { checkWeightSource, resolveKeys, type TorchWeightSource } from './source.js';

/** Options of `loadTorchWeights`. */
export interface LoadTorchWeightsOptions {
  /** Throw on any unexpected key, missing weight or shape mismatch (nothing is loaded then). false =
   * load what matches and report the rest. Default true. */
  strict?: boolean;
  /** The library whose names the checkpoint's keys follow: the family's own, or another one its family
   * translates from (`mobilenetv2_*` from torchvision, `efficientnet_b*` from timm, the resnet family
   * from timm or torchvision, `repvgg_*` from timm). Default: detected from the keys (the naming that fills the most weights). */
  from?: TorchWeightSource;
}

/** A weight whose checkpoint tensor has another shape or a non-float dtype. */
export interface MismatchedWeight {
  /** The PyTorch key. */
  key: string;
  /** The PyTorch shape the model expects. */
  expectedShape: number[];
  /** The checkpoint's shape. */
  gotShape: number[];
  /** The checkpoint's dtype. */
  gotDtype: string;
}

/** What `loadTorchWeights` did. */
export interface TorchWeightsReport {
  /** PyTorch keys loaded into the model. */
  loaded: string[];
  /** Model weights the checkpoint did not fill (PyTorch keys; `originalName (className)` for unmappable layers). */
  missing: string[];
  /** Checkpoint keys that map to no weight of the model (as spelt in the file). */
  unexpected: string[];
  /** Keys present on both sides whose shape or dtype does not fit (not loaded). */
  mismatched: MismatchedWeight[];
  /** The library whose names the keys were read in (registered models only). */
  from?: TorchWeightSource;
  /** `'module.'` when every key had `nn.DataParallel`'s prefix and it was removed. */
  strippedPrefix?: string;
  /** Set when the classifier was left out because it has another number of classes than the checkpoint's. */
  head?: { layer: string; modelClasses: number; checkpointClasses: number };
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** The classifier left out, when every mismatch is in the last weighted layer and differs only in the class axis. */
function headMismatch(mismatched: MismatchedWeight[], byKey: Map<string, MappedWeight>, lastLayer: string | undefined): TorchWeightsReport['head'] {
  if (mismatched.length === 0 || lastLayer === undefined) return undefined;
  let classes: [number, number] | undefined;
  for (const m of mismatched) {
    if (byKey.get(m.key)?.layerName !== lastLayer || m.gotShape.length !== m.expectedShape.length || !FLOAT_DTYPES.has(m.gotDtype)) return undefined;
    if (!sameShape(m.gotShape.slice(1), m.expectedShape.slice(1))) return undefined;
    classes = [m.expectedShape[0] as number, m.gotShape[0] as number];
  }
  return classes && { layer: lastLayer, modelClasses: classes[0], checkpointClasses: classes[1] };
}

function problemsMessage(caller: string, report: TorchWeightsReport, unmapped: ReadonlySet<string>): string {
  const lines = [
    ...report.unexpected.map((key) => `  unexpected: "${key}" maps to no weight of the model`),
    ...report.missing.map((key) =>
      unmapped.has(key) ? `  missing: "${key}" is a weight of a layer class with no PyTorch mapping` : `  missing: "${key}" is not in the checkpoint`,
    ),
    ...report.mismatched.map(
      (m) => `  mismatched: "${m.key}" expected ${shapeText(m.expectedShape)} of floats, got ${shapeText(m.gotShape)} ${m.gotDtype}`,
    ),
  ];
  let message = `${caller}: the checkpoint does not fit the model (${lines.length} problems; nothing was loaded):\n${lines.join('\n')}`;
  if (report.head) {
    message +=
      `\n  The classifier "${report.head.layer}" has ${report.head.modelClasses} classes and the checkpoint ` +
      `${report.head.checkpointClasses}: pass \`strict: false\` to load everything else.`;
  }
  return message;
}

function parse(caller: string, source: Uint8Array | ArrayBuffer | TensorFile): TensorFile {
  if (!(source instanceof Uint8Array) && !(source instanceof ArrayBuffer)) {
    if (typeof source === 'object' && source !== null && typeof (source as TensorFile).getFloat32 === 'function') return source;
    throw new Error(
      `${caller}: \`source\` must be a weights file's bytes (Uint8Array or ArrayBuffer) or a file from readTensorFile (got ${Object.prototype.toString.call(source)})`,
    );
  }
  try {
    return readTensorFile(source);
  } catch (error) {
    throw new Error(`${caller}: cannot read the checkpoint: ${(error as Error).message}`);
  }
}

/**
 * Loads a PyTorch state dict into `model`, by name — from safetensors, a torch.save `.pth` / `.bin`
 * (zip or legacy format, read without running its pickle) or a dict holding one (`{'state_dict': ...}`),
 * told apart by content: the key of a weight is
 * `${layerName}.${param}` with the reference library's names, converted to TF.js layouts (conv
 * OIHW -> HWIO, linear [out, in] -> [in, out], ...). Strict by default: every key must map to a
 * weight and every weight be filled with the right shape, or one error lists all that is wrong and
 * the model is left unchanged. Keys that all start with `module.` (a state dict saved from
 * `nn.DataParallel`) are read without it. Keys in another library's names are translated (see
 * `from`); `loaded`, `missing` and `mismatched` name keys in the family's own names. Values are checked and converted before any weight is assigned.
 *
 * @param model a model from `createModel` (or any model named the same way).
 * @param source the bytes of a weights file (F32, F16, BF16 or F64 weights), or a file from `readTensorFile`.
 * @param options `strict` (default true), `from` (default detected from the keys).
 * @returns what was loaded, missing, unexpected and mismatched.
 */
export function loadTorchWeights(
  model: tf.LayersModel,
  source: Uint8Array | ArrayBuffer | TensorFile,
  options: LoadTorchWeightsOptions = {},
): TorchWeightsReport {
  const caller = `loadTorchWeights('${model.name}')`;
  const strict = options.strict ?? true;
  checkWeightSource(caller, model.name, options.from);
  const file = parse(caller, source);
  const mapping = mapModel(model);
  const byKey = new Map(mapping.weights.map((w) => [w.torchKey, w]));
  const keys = resolveKeys(model.name, file.names(), mapping, options.from);

  const report: TorchWeightsReport = { loaded: [], missing: [...mapping.unmapped], unexpected: keys.unexpected, mismatched: [] };
  if (keys.from !== undefined) report.from = keys.from;
  if (keys.strippedPrefix !== undefined) report.strippedPrefix = keys.strippedPrefix;
  const ready: MappedWeight[] = [];
  for (const weight of mapping.weights) {
    const fileKey = keys.fileKey.get(weight.torchKey);
    if (fileKey === undefined) {
      report.missing.push(weight.torchKey);
      continue;
    }
    const { dtype, shape } = file.info(fileKey);
    if (FLOAT_DTYPES.has(dtype) && sameShape(shape, weight.torchShape)) ready.push(weight);
    else report.mismatched.push({ key: weight.torchKey, expectedShape: weight.torchShape, gotShape: shape, gotDtype: dtype });
  }
  const head = headMismatch(report.mismatched, byKey, mapping.lastWeightedLayer);
  if (head) report.head = head;
  const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
  if (strict && problems > 0) throw new Error(problemsMessage(caller, report, new Set(mapping.unmapped)));

  // Convert everything first: the model is only touched once every value is ready.
  const values = ready.map((w) => w.layout.toTf(file.getFloat32(keys.fileKey.get(w.torchKey) as string), w.tfShape));
  tf.tidy(() => ready.forEach((w, i) => w.variable.write(tf.tensor(values[i] as Float32Array, w.tfShape, 'float32'))));
  report.loaded = ready.map((w) => w.torchKey);
  return report;
}
