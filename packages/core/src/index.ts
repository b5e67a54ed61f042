export { activationLayer, applyActivation, checkActivation, fusedActivation } from './activations.js';
export type { ActivationName } from './activations.js';
export { initBackend, defaultBackendOrder, isNode } from './backend.js';
export type { BackendChoice, BackendName, InitBackendOptions } from './backend.js';
export {
  batchNormParamsOf,
  batchNormScaleShift,
  foldBatchNormIntoConv,
  foldBatchNormIntoDense,
  foldBatchNormIntoDepthwise,
} from './bn-fold.js';
export type { BatchNormParams, FoldedKernel } from './bn-fold.js';
export { checkInitializer, makeInitializer } from './initializers.js';
export type { InitializerName } from './initializers.js';
export { batchNorm, convBnAct, resolveConvBnActArgs, torchPad } from './conv-bn-act.js';
export type { BatchNormArgs, BlockFn, ConvBnActArgs, ResolvedConvBnActArgs } from './conv-bn-act.js';
export { convolve2d } from './convolve.js';
export type { ConvPad, Convolve2dArgs, TfExplicitPadding } from './convolve.js';
export { registerDilatedGradients, spreadKernel } from './dilated-gradients.js';
export {
  convOutputLength,
  effectiveKernelSize,
  makeDivisible,
  paddingAmounts,
  positivePair,
  samePadding,
  torchPadding,
} from './math.js';
export type { AxisPadding, PaddingMode, SizePair } from './math.js';
export { convMacs, denseMacs, formatCount, profile, reportsMacs, summary } from './profile/index.js';
export type { ConvMacsArgs, LayerProfile, MacsReporter, ModelProfile, SummaryOptions } from './profile/index.js';
export {
  decodeBF16,
  decodeF16,
  encodeBF16,
  encodeF16,
  isSafetensorsDtype,
  MAX_HEADER_BYTES,
  readSafetensors,
  SAFETENSORS_DTYPES,
  SafetensorsFile,
  tensorsToSafetensors,
  writeSafetensors,
} from './safetensors/index.js';
export type {
  SafetensorsArrayOf,
  SafetensorsDtype,
  SafetensorsTensor,
  SafetensorsTensorInfo,
  SafetensorsTensorInput,
  TensorsToSafetensorsOptions,
} from './safetensors/index.js';
export { ALLOWED_GLOBALS, crc32, readTorchCheckpoint, STATE_DICT_KEYS, TorchCheckpoint } from './torch/index.js';
export type { ReadTorchCheckpointOptions, TorchCheckpointFormat } from './torch/index.js';
export { detectTensorFileFormat, readTensorFile } from './tensor-file.js';
export { copyStrided, rowMajorStrides } from './strided.js';
export type { NumberArray } from './strided.js';
export type { TensorFile, TensorFileFormat } from './tensor-file.js';
export { CLASS_NAME_PREFIX, registerNetblocksClass } from './registration.js';
export type { SerializableClass } from './registration.js';
export { cloneLayer, findRewrites, isContainer, isInputNode, ModelGraph, rewriteModel } from './graph/index.js';
export type { ClaimsLayers, GraphNode, GraphRewrite, RewriteRule } from './graph/index.js';
export { ActivationLayer, DilatedConv2D, FusedConv2D, lastAxisChannels, nhwcInputChannels, resolveDilatedConv2DArgs, resolveFusedConv2DArgs, singleInputShape } from './layers/index.js';
export type {
  ActivationLayerArgs,
  DilatedConv2DArgs,
  ExplicitPadding2D,
  FusedConv2DArgs,
  ResolvedDilatedConv2DArgs,
  ResolvedFusedConv2DArgs,
} from './layers/index.js';
