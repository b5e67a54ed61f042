import * as tf from '@tensorflow/tfjs';

/**
 * A layer that counts its own multiply-adds. Custom layers implement it so that `profile` can
 * count them; conv and linear work is counted, bias adds, normalization and activations are not,
 * and the batch dimension never is (MACs per image).
 */
export interface MacsReporter {
  /**
   * Multiply-adds of one call of the layer. Shapes include the batch dimension (usually `null`);
   * a layer with one input or output gets one shape, otherwise a list.
   */
  computeMacs(inputShape: tf.Shape | tf.Shape[], outputShape: tf.Shape | tf.Shape[]): number;
}

/** True when `layer` implements `MacsReporter`. */
export function reportsMacs(layer: unknown): layer is MacsReporter {
  return (
    typeof layer === 'object' && layer !== null && typeof (layer as Partial<MacsReporter>).computeMacs === 'function'
  );
}

/** Sizes of one convolution, as `convMacs` takes them. */
export interface ConvMacsArgs {
  /** Spatial dims the kernel visits once per position: the output's for a conv, the input's for a
   * transposed conv ([L], [H, W] or [D, H, W]). */
  positions: readonly number[];
  /** Kernel size per spatial dim. */
  kernelSize: readonly number[];
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Channel groups; `inChannels` for a depthwise conv. Default 1. */
  groups?: number;
}

const product = (values: readonly number[]): number => values.reduce((a, b) => a * b, 1);

/** Multiply-adds of a (grouped) convolution: positions * prod(kernelSize) * (inChannels / groups) * outChannels. */
export function convMacs({ positions, kernelSize, inChannels, outChannels, groups = 1 }: ConvMacsArgs): number {
  if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0) {
    throw new Error(`convMacs: \`groups\` must divide \`inChannels\` (got inChannels=${inChannels}, groups=${groups})`);
  }
  return product(positions) * product(kernelSize) * (inChannels / groups) * outChannels;
}

/** Multiply-adds of a dense layer: every output position except the batch, times `inFeatures`
 * (so a Dense on [N, S, C] with `units` outputs counts S * C * units). `outputShape` includes
 * the batch dimension, which is ignored. */
export function denseMacs(outputShape: tf.Shape, inFeatures: number): number {
  const dims = outputShape.slice(1);
  if (dims.some((d) => d === null)) {
    throw new Error(`denseMacs: \`outputShape\` needs known dims after the batch (got outputShape=${JSON.stringify(outputShape)})`);
  }
  return product(dims as number[]) * inFeatures;
}

/** The shape without its batch dimension, or an error naming the layer when a dim is unknown. */
function knownDims(shape: tf.Shape | undefined, what: string, layer: tf.layers.Layer): number[] {
  const dims = shape?.slice(1) ?? [];
  if (shape === undefined || dims.some((d) => d === null)) {
    throw new Error(
      `profile: cannot count MACs of layer "${layer.name}" (${layer.getClassName()}): its ${what} shape ` +
        `${JSON.stringify(shape)} has unknown dimensions; build the model with a fixed input size`,
    );
  }
  return dims as number[];
}

/** A numeric setting of the layer: from its config, else from the instance (TF.js's
 * SeparableConv2D leaves `depthMultiplier` out of its config). */
function configNumber(config: tf.serialization.ConfigDict, key: string, layer: tf.layers.Layer): number {
  const value = config[key] ?? (layer as unknown as Record<string, unknown>)[key];
  if (typeof value !== 'number') {
    throw new Error(`profile: layer "${layer.name}" has no numeric \`${key}\` in its config (got ${key}=${JSON.stringify(value)})`);
  }
  return value;
}

function configKernelSize(config: tf.serialization.ConfigDict, rank: number, layer: tf.layers.Layer): number[] {
  const value = config['kernelSize'];
  if (typeof value === 'number') return new Array<number>(rank).fill(value);
  if (Array.isArray(value) && value.length === rank && value.every((v) => typeof v === 'number')) return value as number[];
  throw new Error(`profile: layer "${layer.name}" has an unexpected \`kernelSize\` (got kernelSize=${JSON.stringify(value)})`);
}

/** Splits a shape without batch into spatial dims and channels, by the layer's `dataFormat`. */
function splitChannels(dims: number[], config: tf.serialization.ConfigDict): { spatial: number[]; channels: number } {
  if (config['dataFormat'] === 'channelsFirst') return { spatial: dims.slice(1), channels: dims[0] ?? 0 };
  return { spatial: dims.slice(0, -1), channels: dims[dims.length - 1] ?? 0 };
}

/** One call of a layer, as a rule sees it. */
interface LayerCall {
  layer: tf.layers.Layer;
  config: tf.serialization.ConfigDict;
  input: tf.Shape | undefined;
  output: tf.Shape | undefined;
}

type MacsRule = (call: LayerCall) => number;

const convRule: MacsRule = ({ layer, config, input, output }) => {
  const out = splitChannels(knownDims(output, 'output', layer), config);
  const inChannels = splitChannels(knownDims(input, 'input', layer), config).channels;
  const groups = typeof config['groups'] === 'number' ? config['groups'] : 1;
  return convMacs({
    positions: out.spatial,
    kernelSize: configKernelSize(config, out.spatial.length, layer),
    inChannels,
    outChannels: configNumber(config, 'filters', layer),
    groups,
  });
};

const transposedConvRule: MacsRule = ({ layer, config, input }) => {
  const inp = splitChannels(knownDims(input, 'input', layer), config);
  return convMacs({
    positions: inp.spatial,
    kernelSize: configKernelSize(config, inp.spatial.length, layer),
    inChannels: inp.channels,
    outChannels: configNumber(config, 'filters', layer),
  });
};

const depthwiseRule: MacsRule = ({ layer, config, input, output }) => {
  const out = splitChannels(knownDims(output, 'output', layer), config);
  const inChannels = splitChannels(knownDims(input, 'input', layer), config).channels;
  return convMacs({
    positions: out.spatial,
    kernelSize: configKernelSize(config, out.spatial.length, layer),
    inChannels,
    outChannels: inChannels * configNumber(config, 'depthMultiplier', layer),
    groups: inChannels,
  });
};

// A depthwise conv followed by a 1x1 conv over its output, both at the output's positions.
const separableRule: MacsRule = (call) => {
  const { layer, config } = call;
  const out = splitChannels(knownDims(call.output, 'output', layer), config);
  const inChannels = splitChannels(knownDims(call.input, 'input', layer), config).channels;
  const midChannels = inChannels * configNumber(config, 'depthMultiplier', layer);
  const pointwise = convMacs({
    positions: out.spatial,
    kernelSize: out.spatial.map(() => 1),
    inChannels: midChannels,
    outChannels: configNumber(config, 'filters', layer),
  });
  return depthwiseRule(call) + pointwise;
};

const denseRule: MacsRule = ({ layer, input, output }) => {
  const inDims = knownDims(input, 'input', layer);
  knownDims(output, 'output', layer);
  return denseMacs(output as tf.Shape, inDims[inDims.length - 1] ?? 0);
};

const zeroRule: MacsRule = () => 0;

/** TF.js classes profile counts, most derived first (Conv2DTranspose extends Conv2D). Layers
 * without weights need no rule: they cost 0. These with weights cost 0 too. */
const RULES: ReadonlyArray<readonly [className: string, rule: MacsRule]> = [
  ['Conv2DTranspose', transposedConvRule],
  ['Conv3DTranspose', transposedConvRule],
  ['SeparableConv2D', separableRule],
  ['DepthwiseConv2D', depthwiseRule],
  ['Conv1D', convRule],
  ['Conv2D', convRule],
  ['Conv3D', convRule],
  ['Dense', denseRule],
  ['BatchNormalization', zeroRule],
  ['LayerNormalization', zeroRule],
  ['PReLU', zeroRule],
  ['Embedding', zeroRule],
];

type AnyConstructor = abstract new (...args: never[]) => unknown;

/** The rule for `layer`: its own class, else the TF.js class it extends (so a subclass of Conv2D
 * that adds a `groups` config field is counted as a grouped conv). */
function ruleFor(layer: tf.layers.Layer): MacsRule | undefined {
  const byName = RULES.find(([name]) => name === layer.getClassName());
  if (byName) return byName[1];
  const registry = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const [name, rule] of RULES) {
    const cls = registry[name]?.[0] as AnyConstructor | undefined;
    if (cls !== undefined && layer instanceof cls) return rule;
  }
  return undefined;
}

/**
 * Multiply-adds of one call of `layer` when its class is one profile knows (TF.js convs, Dense,
 * and the weighted layers that cost 0), else undefined. Shapes are the call's input and output
 * shapes, one per tensor.
 */
export function knownLayerMacs(layer: tf.layers.Layer, inputShapes: tf.Shape[], outputShapes: tf.Shape[]): number | undefined {
  const rule = ruleFor(layer);
  if (rule === undefined) return undefined;
  return rule({ layer, config: layer.getConfig(), input: inputShapes[0], output: outputShapes[0] });
}
