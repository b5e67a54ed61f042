// Node-only entry: PyTorch checkpoints from and to files, pretrained weights through the caches Python
// uses, and the worker-thread inference pool. Browser bundles import `@netblocks/models` only.
import { readFile, writeFile } from 'node:fs/promises';
import type * as tf from '@tensorflow/tfjs';
import { createPretrainedModelWith, type PretrainedModel, type PretrainedModelOptions } from './pretrained/create.js';
import { fetchCheckpointFiles, type PretrainedDownloadOptions } from './pretrained/node-fetch.js';
import { loadTorchWeights, saveTorchWeights } from './weights/index.js';
import type { LoadTorchWeightsOptions, SaveTorchWeightsOptions, TorchWeightsReport } from './weights/index.js';
import { classifyWith, embedWith, type Classify, type Embed, type ImagePlatform } from './classify/classify.js';
import { createInferenceEngineWith, type InferenceEngine, type InferenceEngineOptions } from './engine/index.js';
import { NODE_ONNX_RUNTIME } from './engine/node-runtime.js';
import { nodeImageReader } from './classify/node-decode.js';
import { fineTuneWith, type FineTuneEpoch, type FineTuneExample, type FineTuneOptions } from './fine-tune/index.js';

/** `loadTorchWeights` on the weights file at `path`: safetensors, or a torch.save `.pth` / `.bin` (told apart by content). */
export async function loadTorchWeightsFromFile(model: tf.LayersModel, path: string, options?: LoadTorchWeightsOptions): Promise<TorchWeightsReport> {
  const bytes = await readFile(path);
  return loadTorchWeights(model, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
}

/** Writes `saveTorchWeights(model, options)` to the file at `path` (replacing it). */
export async function saveTorchWeightsToFile(model: tf.LayersModel, path: string, options?: SaveTorchWeightsOptions): Promise<void> {
  await writeFile(path, saveTorchWeights(model, options));
}

/**
 * Builds `name` (`'mobilenetv2_100'` for its default checkpoint, `'resnet50.a1_in1k'`, or with `tag`),
 * downloads its published weights into the cache Python uses for them (timm's into huggingface_hub's
 * `models--timm--<arch>.<tag>`, torchvision's into `$TORCH_HOME/hub/checkpoints`; a file already there,
 * from Python or an earlier call, costs no request), loads them strictly and attaches `pretrainedCfg`
 * (preprocessing, class names, published top-1). `numClasses` other than the checkpoint's keeps the
 * backbone and gives a new classifier; `numClasses: 0` gives pooled features.
 */
export function createPretrainedModel(name: string, options: PretrainedModelOptions & PretrainedDownloadOptions = {}): Promise<PretrainedModel> {
  return createPretrainedModelWith(fetchCheckpointFiles, name, options);
}

export { pullCheckpoint, pullPretrained } from './pretrained/node-fetch.js';
export type { PretrainedDownloadOptions, PulledCheckpoint } from './pretrained/node-fetch.js';
export { ChecksumError, HttpError, hubCacheDir, hubDownload, hubEndpoint, hubRepoFolder, OfflineError, torchHubCheckpointsDir, torchHubDownload, torchHubFileName } from './download/index.js';
export type { DownloadOptions, DownloadProgress, HubDownloadOptions, HubFile, TorchHubDownloadOptions } from './download/index.js';
export { createInferencePool } from './pool/index.js';
export type { BatchData, InferencePool, InferencePoolOptions, PoolBackend } from './pool/index.js';

/** The `topk` classes of an image (a file path, PNG/JPEG bytes, a tf.Tensor of [0, 255] pixels, ImageData) or of each of several, with the model's preprocessing (`pretrainedCfg`, or what `netblocks train` saved). */
export const classify: Classify = ((model, images, options) => classifyWith(NODE, model, images, options)) as Classify;
/** The pooled features (timm's pre-logits) of each image, `[images, features]`, for retrieval. */
export const embed: Embed = (model, images, options) => embedWith(NODE, model, images, options);
const NODE: ImagePlatform = { reader: nodeImageReader, onnx: NODE_ONNX_RUNTIME };

/**
 * `model` ready to run, on onnxruntime-node (its `exportOnnx` graph in one native session, built
 * in memory; `threads` its intra-op threads) or on TF.js: `engine: 'auto'` (default) takes
 * onnxruntime-node when it is installed (an optional peer dependency), `'onnxruntime'` insists on
 * it, `'tfjs'` runs the model through `optimizeForInference` (unless `optimize: false`) on the
 * active backend. `predict` takes and returns TF.js tensors either way; `dispose()` frees it.
 */
export const createInferenceEngine = (model: tf.LayersModel, options?: InferenceEngineOptions): Promise<InferenceEngine> => createInferenceEngineWith(NODE_ONNX_RUNTIME, model, options);
export type { EngineChoice, EngineName, InferenceEngine, InferenceEngineOptions, OnnxRuntime } from './engine/index.js';
export { decodeImageBytes } from './classify/node-decode.js';
/** Fine-tunes `model` on labelled images (files, bytes, tensors) in memory: the classifier alone for `freezeEpochs`, then the whole network with a slower backbone. */
export const fineTune = (model: tf.LayersModel, examples: readonly FineTuneExample[], options?: FineTuneOptions): Promise<FineTuneEpoch[]> => fineTuneWith(nodeImageReader, model, examples, options);
