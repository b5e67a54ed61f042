import { CONV, CONV_OR_LINEAR, DEPTHWISE, LINEAR, VECTOR, type WeightLayout } from './layouts.js';

/**
 * How one TF.js weight of a layer maps to a PyTorch state-dict entry. The PyTorch key is
 * `${layerName}.${torchSuffix}`. In `tfWeight` and `torchSuffix`, `*` stands for one sub-module
 * name (a squeeze-excite's `fc1`, `conv_reduce`, ...), the same on both sides.
 */
export interface WeightRule {
  /** The weight's name inside its layer (its `originalName` after `${layerName}/`). */
  tfWeight: string;
  /** The PyTorch parameter name after `${layerName}.`. */
  torchSuffix: string;
  /** How values are laid out on each side. */
  layout: WeightLayout;
  /** A linear kernel fed by a Flatten of an `[H, W, C]` map: PyTorch flattened CHW (VGG). */
  flattenAware?: boolean;
}

const rule = (tfWeight: string, torchSuffix: string, layout: WeightLayout, flattenAware = false): WeightRule =>
  flattenAware ? { tfWeight, torchSuffix, layout, flattenAware } : { tfWeight, torchSuffix, layout };

const BIAS = rule('bias', 'bias', VECTOR);

/** PyTorch buffers of a layer that TF.js has no weight for: ignored on load, written as I64 zeros on save. */
export const COUNTER_BUFFERS: Readonly<Record<string, readonly string[]>> = {
  BatchNormalization: ['num_batches_tracked'],
};

/** Every layer class with weights, keyed by `getClassName()`. A weighted layer of another class cannot be mapped. */
export const RULES: Readonly<Record<string, readonly WeightRule[]>> = {
  Conv2D: [rule('kernel', 'weight', CONV), BIAS],
  NetblocksGroupConv2D: [rule('kernel', 'weight', CONV), BIAS],
  DepthwiseConv2D: [rule('depthwise_kernel', 'weight', DEPTHWISE), BIAS],
  NetblocksDepthwiseConv2D: [rule('depthwise_kernel', 'weight', DEPTHWISE), BIAS],
  // core's dilated conv (what dilated blocks build): a dense `kernel` or, when `depthwise`, a `depthwise_kernel`.
  NetblocksDilatedConv2D: [rule('kernel', 'weight', CONV), rule('depthwise_kernel', 'weight', DEPTHWISE), BIAS],
  // timm's legacy Xception `SeparableConv2d`: `conv1` depthwise, `pointwise` 1x1.
  NetblocksSeparableConv2D: [
    rule('depthwise_kernel', 'conv1.weight', DEPTHWISE),
    rule('pointwise_kernel', 'pointwise.weight', CONV),
    rule('bias', 'pointwise.bias', VECTOR),
  ],
  Dense: [rule('kernel', 'weight', LINEAR, true), BIAS],
  BatchNormalization: [
    rule('gamma', 'weight', VECTOR),
    rule('beta', 'bias', VECTOR),
    rule('moving_mean', 'running_mean', VECTOR),
    rule('moving_variance', 'running_var', VECTOR),
  ],
  LayerNormalization: [rule('gamma', 'weight', VECTOR), rule('beta', 'bias', VECTOR)],
  // Sub-FCs named by the layer's config (`fc1`/`fc2`, `conv_reduce`/`conv_expand`), 1x1 convs or linears.
  NetblocksSqueezeExcite: [rule('*/kernel', '*.weight', CONV_OR_LINEAR), rule('*/bias', '*.bias', VECTOR)],
  // timm's Mixer `mlp_tokens`: `fc1.weight` [D_S, S], `fc2.weight` [S, D_S].
  NetblocksTokenMixing: [rule('*/kernel', '*.weight', LINEAR), rule('*/bias', '*.bias', VECTOR)],
};

/** The rule for weight `localName` of a `className` layer and the PyTorch suffix it gives, or undefined. */
export function matchRule(className: string, localName: string): { rule: WeightRule; torchSuffix: string } | undefined {
  for (const candidate of RULES[className] ?? []) {
    const [head, tail] = candidate.tfWeight.split('*') as [string, string | undefined];
    if (tail === undefined) {
      if (localName === head) return { rule: candidate, torchSuffix: candidate.torchSuffix };
      continue;
    }
    const middle = localName.slice(head.length, localName.length - tail.length);
    const fits = localName.length > head.length + tail.length && localName.startsWith(head) && localName.endsWith(tail);
    if (fits && !middle.includes('/')) return { rule: candidate, torchSuffix: candidate.torchSuffix.replace('*', middle) };
  }
  return undefined;
}
