import type { ModelOptions, Preprocessing } from '../types.js';
import type { TorchWeightSource } from '../weights/source.js';

/** Where a checkpoint's file is: a Hub model repository, or a plain URL (torchvision's server). */
export type CheckpointLocation =
  | {
      kind: 'hub';
      /** `timm/mobilenetv2_100.ra_in1k`. */
      repo: string;
      /** Default 'main'. */
      revision?: string;
      /** The weights file. Default `model.safetensors`, then `pytorch_model.bin` if the repository has no safetensors. */
      file?: string;
    }
  | { kind: 'url'; url: string };

/** One published checkpoint of one of our models. */
export interface PretrainedCheckpoint {
  /** `model.tag`, as timm names checkpoints (`mobilenetv2_100.ra_in1k`, `resnet50.IMAGENET1K_V2`). */
  name: string;
  /** Our model it loads into. */
  model: string;
  /** timm's pretrained tag, or torchvision's weights enum name. */
  tag: string;
  /** timm's architecture name, for timm checkpoints (`legacy_xception`, `tf_efficientnet_b0`). */
  architecture?: string;
  /** Whether `createPretrainedModel(model)` takes it when no tag is given. */
  isDefault: boolean;
  location: CheckpointLocation;
  /** The library whose names its keys follow (`loadTorchWeights`' `from`); detected from the keys when not given. */
  keys?: TorchWeightSource;
  /** Its classifier's outputs. */
  numClasses: number;
  /** The label set of its classes, when the package ships it. */
  labelSet?: 'imagenet-1k';
  /** Its classifier in the checkpoint's names (timm's `classifier`), the part replaced for another `numClasses`. */
  classifier: string;
  /** How the checkpoint expects an image. */
  preprocessing: Preprocessing;
  /** ImageNet-1k validation top-1 (%) as the source publishes it, at `imageSize`. */
  top1?: { accuracy: number; imageSize: number; source: string };
  /** Build options these weights need (timm's `tf_` EfficientNets: TF 'same' padding, BatchNorm eps 1e-3). */
  modelOptions?: Pick<ModelOptions, 'padding' | 'bnEpsilon'>;
  /** How a download is checked. */
  verification: 'sha256 from the Hub' | 'sha256 prefix in the file name' | 'none: timm loads this release file unchecked';
  /** Where the weights come from: the library and, where it says, the recipe or the original. */
  origin: string;
  license?: string;
}

/** One torchvision weights enum entry, as tools/fixtures/make_pretrained_tables.py writes it. */
export interface TorchvisionWeightsRow {
  model: string;
  tag: string;
  isDefault: boolean;
  builder: string;
  url: string;
  resize: number;
  crop: number;
  interpolation: 'bilinear' | 'bicubic';
  top1: number;
  top5: number;
  numParams: number;
  recipe: string | null;
}

/** One timm checkpoint (`timm/<arch>.<tag>` on the Hub), from timm's `default_cfgs` and results tables. */
export interface TimmWeightsRow {
  model: string;
  /** timm's architecture name, when it is not ours (`legacy_xception`, `tf_efficientnet_b0`). */
  arch?: string;
  tag: string;
  isDefault?: boolean;
  /** Input size (square), crop fraction, interpolation and mean/std of its pretrained cfg. */
  size: number;
  cropPct: number;
  interpolation: 'bilinear' | 'bicubic';
  mean: [number, number, number];
  std: [number, number, number];
  /** Classifier outputs, when not 1000 (ImageNet-21k and -12k heads). */
  numClasses?: number;
  classifier: string;
  top1?: number;
  /** The image size of the top-1 row, when it is not `size` (timm's test_input_size). */
  top1Size?: number;
  license?: string;
  /** The file, when it is not on the Hub (a GitHub release). */
  url?: string;
}
