import type * as tf from '@tensorflow/tfjs';

/** Where a family's reference weights and layer names come from. */
export type WeightSource = 'timm' | 'torchvision' | 'megvii' | 'official';

/**
 * How the reference weights expect an image: scale pixels to `inputRange`, put the channels in
 * `channelOrder`, then `(x - mean) / std` per channel (mean and std in `inputRange` units). At
 * evaluation the reference resizes the shorter side to `crop.resize` with `crop.interpolation`
 * and takes the centre `crop.size` square (`fit` may say otherwise for a model trained here).
 */
export interface Preprocessing {
  mean: [number, number, number];
  std: [number, number, number];
  inputRange: [0, 1] | [0, 255] | [-1, 1];
  channelOrder: 'rgb' | 'bgr';
  crop: { resize: number; size: number; interpolation: 'bilinear' | 'bicubic' };
  /** How an image meets `crop.size`: `'center-crop'` (the default: shorter side to `crop.resize`, then
   * the centre square), `'resize'` (stretched to the square) or `'pad'` (centred on black, scaled
   * down keeping its aspect only if larger), as `netblocks train --fit` prepares its images. */
  fit?: 'center-crop' | 'resize' | 'pad';
  /** Which reference recipe the values come from. */
  source: string;
}

/** Options of `createModel`, Keras Applications' where they overlap. */
export interface ModelOptions {
  /** Classifier outputs. 0 = no classifier: the model returns pooled features (timm). Default 1000. */
  numClasses?: number;
  /** Keep the classifier. false = the last feature map, pooled only if `pooling` says so (Keras). Default true. */
  includeTop?: boolean;
  /** Global pooling of the last feature map when there is no classifier. Default 'avg' for
   * `numClasses: 0`, none for `includeTop: false`. */
  pooling?: 'avg' | 'max' | null;
  /** Input shape `[height, width, channels]` (NHWC). Default the variant's resolution, 3 channels. */
  inputShape?: [number, number, number];
  /** Dropout before the classifier. Default the variant's. */
  dropRate?: number;
  /** Stochastic-depth rate of the last block (scaled by block index), where the family has it. Default the variant's. */
  dropPathRate?: number;
  /** Padding: `'torch'` (symmetric, so PyTorch weights give PyTorch's numbers) or TF's `'same'`. Default 'torch'. */
  padding?: 'torch' | 'same';
  /** BatchNorm epsilon override. Default the reference implementation's. */
  bnEpsilon?: number;
  /** Return the stage feature maps instead of logits (timm's features_only). Default false. */
  features?: boolean;
  /** Which stage feature maps to return with `features` (indices into `featureInfo`). Default all. */
  outIndices?: number[];
  /**
   * Stride of the last feature map (timm's `output_stride`): 16 or 8 replace the stride of the last
   * one or two downsampling stages by dilation, as segmentation backbones do; same weights and
   * parameter count. Only the families whose timm architecture takes it (ResNet, ResNeXt,
   * SE-ResNet, SE-ResNeXt, MobileNetV1, MobileNetV2, EfficientNet, RepVGG); 32 elsewhere. Default 32.
   */
  outputStride?: 8 | 16 | 32;
  /** Family knob: channel width multiplier (MobileNetV1/V2, EfficientNet's width coefficient). Default the variant's. */
  widthMultiplier?: number;
  /** Family knob: groups (ResNeXt's cardinality, RepVGG's grouped layers, ShuffleNet V1's groups). Default the variant's. */
  groups?: number;
}

/** The family knobs `ModelOptions` can carry. */
export type KnobName = 'widthMultiplier' | 'groups';

/** Options with every default filled in for one variant. */
export interface ResolvedModelOptions {
  numClasses: number;
  includeTop: boolean;
  pooling: 'avg' | 'max' | null;
  inputShape: [number, number, number];
  dropRate: number;
  dropPathRate: number;
  padding: 'torch' | 'same';
  bnEpsilon: number | undefined;
  features: boolean;
  outIndices: number[] | undefined;
  outputStride: 8 | 16 | 32;
}

/** One multi-scale feature map: its channels and its stride relative to the input. */
export interface FeatureInfo {
  /** The name of the layer that produces it. */
  name: string;
  channels: number;
  reduction: number;
}

/** What a family's backbone builder returns. */
export interface Backbone {
  /** The last feature map, before any head. */
  output: tf.SymbolicTensor;
  /** The stage outputs, shallow to deep, for `features: true`. */
  taps: (FeatureInfo & { tensor: tf.SymbolicTensor })[];
}

/** A reference figure and where it comes from. */
export interface ReferenceFigures {
  /** `countParams()`: trainable + BatchNorm moving statistics. */
  totalParams: number;
  /** PyTorch's `sum(p.numel())`. */
  trainableParams: number;
  /** Conv + linear multiply-adds at the default resolution; undefined where no reference is published. */
  macs?: number;
}

/** One registered model: a row of its family's table. */
export interface VariantInfo<Config> {
  config: Config;
  /** Default (and reference) input resolution. */
  inputSize: number;
  /** Classifier dropout by default. */
  dropRate?: number;
  /** Stochastic depth by default. */
  dropPathRate?: number;
  /** BatchNorm epsilon, where a variant differs from its family (torchvision EfficientNet-B5..B7). */
  bnEpsilon?: number;
  /** Where this variant's weights expect other preprocessing than its family's (crop sizes). */
  preprocessing?: Partial<Preprocessing>;
  reference: ReferenceFigures;
}

export interface Paper {
  title: string;
  url: string;
}

/** A family: its variants as data, and how to build one. */
export interface FamilyDefinition<Config> {
  family: string;
  paper: Paper;
  weights: WeightSource;
  /** How the reference weights expect their input (a variant may override parts). */
  preprocessing: Preprocessing;
  /** The reference implementation's BatchNorm epsilon. */
  bnEpsilon: number;
  variants: Record<string, VariantInfo<Config>>;
  /** Smallest input height/width the architecture takes. */
  minInputSize(config: Config): number;
  /** The one input size the classifier takes, where it has fixed-size dense layers (VGG); none otherwise. */
  topInputSize?: number;
  /** The knobs this family takes, each returning the variant's config with the knob applied (and
   * checking its value). A knob the family does not list is an error. */
  knobs?: Partial<Record<KnobName, (config: Config, value: number) => Config>>;
  /** Whether the family has stochastic depth (`dropPathRate`). */
  supportsDropPath?: boolean;
  /** Whether the family takes `outputStride` 16 and 8 (where timm's architecture has `output_stride`). */
  supportsOutputStride?: boolean;
  /** Builds the feature extractor on `input`. */
  backbone(input: tf.SymbolicTensor, config: Config, options: ResolvedModelOptions): Backbone;
  /** A family-specific classifier (VGG's FC stack, SqueezeNet's conv head); default pool -> dropout -> dense `fc`. */
  classifier?(features: tf.SymbolicTensor, config: Config, options: ResolvedModelOptions): tf.SymbolicTensor;
}

/** What `getModelInfo` returns. */
export interface ModelInfo {
  name: string;
  family: string;
  paper: Paper;
  weights: WeightSource;
  /** How the reference weights expect their input: mean/std, value range, channel order, resize and crop. */
  preprocessing: Preprocessing;
  inputSize: number;
  /** Smallest input height/width the architecture takes. */
  minInputSize: number;
  /** The one input size the classifier takes (VGG's 224), if it is fixed. */
  topInputSize?: number;
  reference: ReferenceFigures;
}
