/** Layer names inside one inverted residual, relative to the block's name. */
export interface InvertedResidualLayerNames {
  /** 1x1 expansion conv, its BN and activation (absent when `expandRatio` is 1). */
  expandConv?: string;
  expandBn?: string;
  expandAct?: string;
  /** kxk depthwise conv, BN, activation; the conv's padding layer is `${dwConv}.pad`. */
  dwConv: string;
  dwBn: string;
  dwAct: string;
  /** The squeeze-and-excitation layer (absent without SE). */
  se?: string;
  /** 1x1 linear projection conv and its BN (no activation). */
  projectConv: string;
  projectBn: string;
}

/** Which of the four shapes a block has: with or without the expansion conv, with or without SE. */
export type InvertedResidualShape = 'expand+se' | 'expand' | 'dw+se' | 'dw';

/** One reference implementation's names. */
export interface InvertedResidualNaming {
  /** Names per block shape; a shape the reference never builds is absent (an error to ask for). */
  layers: Partial<Record<InvertedResidualShape, InvertedResidualLayerNames>>;
  /** The drop-path layer on the residual branch. */
  dropPath: string;
  /** The residual addition. */
  add: string;
  /** Names of the SE's reduce and expand FCs, the weights' middle part (`se/fc1/kernel`). */
  seReduce: string;
  seExpand: string;
}

/**
 * The naming schemes, as data: PyTorch state-dict keys map to these layer names by replacing the
 * last `.weight`/`.bias`/`.running_mean`/... with the TF.js weight name.
 *
 * - `'torchvision-mobilenetv2'`: `InvertedResidual.conv`, an `nn.Sequential` of
 *   `[ConvBNReLU(pw)], ConvBNReLU(dw), Conv2d(pwl), BatchNorm2d` — indices shift when t = 1.
 *   torchvision's MobileNetV2 has no SE.
 * - `'torchvision-efficientnet'`: `MBConv.block`, a `Sequential` of
 *   `[Conv2dNormActivation(expand)], Conv2dNormActivation(dw), SqueezeExcitation, Conv2dNormActivation(project)`,
 *   then `stochastic_depth`; without SE (MobileNetV3-style blocks) the indices shift again.
 * - `'timm'`: `InvertedResidual` (`conv_pw`, `bn1`, `conv_dw`, `bn2`, `se`, `conv_pwl`, `bn3`) and,
 *   for t = 1, `DepthwiseSeparableConv` (`conv_dw`, `bn1`, `se`, `conv_pw`, `bn2`); the activation
 *   lives inside timm's `BatchNormAct2d` as `bn1.act`; the SE's convs are `conv_reduce` / `conv_expand`.
 */
export const INVERTED_RESIDUAL_NAMING = {
  'torchvision-mobilenetv2': {
    layers: {
      expand: {
        expandConv: 'conv.0.0', expandBn: 'conv.0.1', expandAct: 'conv.0.2',
        dwConv: 'conv.1.0', dwBn: 'conv.1.1', dwAct: 'conv.1.2',
        projectConv: 'conv.2', projectBn: 'conv.3',
      },
      dw: { dwConv: 'conv.0.0', dwBn: 'conv.0.1', dwAct: 'conv.0.2', projectConv: 'conv.1', projectBn: 'conv.2' },
    },
    dropPath: 'drop_path',
    add: 'add',
    seReduce: 'fc1',
    seExpand: 'fc2',
  },
  'torchvision-efficientnet': {
    layers: {
      'expand+se': {
        expandConv: 'block.0.0', expandBn: 'block.0.1', expandAct: 'block.0.2',
        dwConv: 'block.1.0', dwBn: 'block.1.1', dwAct: 'block.1.2',
        se: 'block.2',
        projectConv: 'block.3.0', projectBn: 'block.3.1',
      },
      expand: {
        expandConv: 'block.0.0', expandBn: 'block.0.1', expandAct: 'block.0.2',
        dwConv: 'block.1.0', dwBn: 'block.1.1', dwAct: 'block.1.2',
        projectConv: 'block.2.0', projectBn: 'block.2.1',
      },
      'dw+se': { dwConv: 'block.0.0', dwBn: 'block.0.1', dwAct: 'block.0.2', se: 'block.1', projectConv: 'block.2.0', projectBn: 'block.2.1' },
      dw: { dwConv: 'block.0.0', dwBn: 'block.0.1', dwAct: 'block.0.2', projectConv: 'block.1.0', projectBn: 'block.1.1' },
    },
    dropPath: 'stochastic_depth',
    add: 'add',
    seReduce: 'fc1',
    seExpand: 'fc2',
  },
  timm: {
    layers: {
      'expand+se': {
        expandConv: 'conv_pw', expandBn: 'bn1', expandAct: 'bn1.act',
        dwConv: 'conv_dw', dwBn: 'bn2', dwAct: 'bn2.act',
        se: 'se',
        projectConv: 'conv_pwl', projectBn: 'bn3',
      },
      expand: {
        expandConv: 'conv_pw', expandBn: 'bn1', expandAct: 'bn1.act',
        dwConv: 'conv_dw', dwBn: 'bn2', dwAct: 'bn2.act',
        projectConv: 'conv_pwl', projectBn: 'bn3',
      },
      'dw+se': { dwConv: 'conv_dw', dwBn: 'bn1', dwAct: 'bn1.act', se: 'se', projectConv: 'conv_pw', projectBn: 'bn2' },
      dw: { dwConv: 'conv_dw', dwBn: 'bn1', dwAct: 'bn1.act', projectConv: 'conv_pw', projectBn: 'bn2' },
    },
    dropPath: 'drop_path',
    add: 'add',
    seReduce: 'conv_reduce',
    seExpand: 'conv_expand',
  },
} as const satisfies Record<string, InvertedResidualNaming>;

/** A naming scheme's key. */
export type InvertedResidualNamingName = keyof typeof INVERTED_RESIDUAL_NAMING;

/** Layer names inside one fused MBConv (EfficientNetV2), relative to the block's name. */
export interface FusedMBConvLayerNames {
  /** kxk conv (the expansion fused with the depthwise conv; the only conv at t = 1), BN, activation;
   * its padding layer is `${conv}.pad`. */
  conv: string;
  bn: string;
  act: string;
  /** The squeeze-and-excitation layer (timm only; absent without SE). */
  se?: string;
  /** 1x1 linear projection and its BN (absent at t = 1). */
  projectConv?: string;
  projectBn?: string;
}

/** One reference implementation's fused-MBConv names. */
export interface FusedMBConvNaming {
  layers: Partial<Record<InvertedResidualShape, FusedMBConvLayerNames>>;
  dropPath: string;
  add: string;
  seReduce: string;
  seExpand: string;
}

/**
 * Fused-MBConv names, as data:
 * - `'torchvision-efficientnet'`: `FusedMBConv.block`: `Conv2dNormActivation(kxk expand)`,
 *   `Conv2dNormActivation(1x1 project, no activation)`; at t = 1 one `Conv2dNormActivation(kxk)`.
 * - `'timm'`: `EdgeResidual` (`conv_exp`, `bn1`, `se`, `conv_pwl`, `bn2`); at t = 1 timm's
 *   EfficientNetV2 uses `ConvBnAct` (`conv`, `bn1`).
 */
export const FUSED_MBCONV_NAMING = {
  'torchvision-efficientnet': {
    layers: {
      expand: { conv: 'block.0.0', bn: 'block.0.1', act: 'block.0.2', projectConv: 'block.1.0', projectBn: 'block.1.1' },
      dw: { conv: 'block.0.0', bn: 'block.0.1', act: 'block.0.2' },
    },
    dropPath: 'stochastic_depth',
    add: 'add',
    seReduce: 'fc1',
    seExpand: 'fc2',
  },
  timm: {
    layers: {
      'expand+se': { conv: 'conv_exp', bn: 'bn1', act: 'bn1.act', se: 'se', projectConv: 'conv_pwl', projectBn: 'bn2' },
      expand: { conv: 'conv_exp', bn: 'bn1', act: 'bn1.act', projectConv: 'conv_pwl', projectBn: 'bn2' },
      dw: { conv: 'conv', bn: 'bn1', act: 'bn1.act' },
    },
    dropPath: 'drop_path',
    add: 'add',
    seReduce: 'conv_reduce',
    seExpand: 'conv_expand',
  },
} as const satisfies Record<string, FusedMBConvNaming>;

/** A fused-MBConv naming scheme's key. */
export type FusedMBConvNamingName = keyof typeof FUSED_MBCONV_NAMING;
