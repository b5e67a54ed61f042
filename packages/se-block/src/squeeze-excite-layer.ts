import * as tf from '@tensorflow/tfjs';
import type { MacsReporter } from '@netblocks/core';
import { SE_ACTIVATIONS, SE_GATES, squeezeExcite, type SeActivation, type SeGate } from './op.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** How the two FC kernels are stored: as 1x1 conv kernels `[1, 1, in, out]` (timm's `SEModule`
 * and `SqueezeExcite`, torchvision's `SqueezeExcitation`: `nn.Conv2d` weights) or as dense
 * kernels `[in, out]` (an `nn.Linear` weight transposed; Keras-style SE with `Dense`). */
export type SeKernelLayout = 'conv1x1' | 'dense';

export interface SqueezeExciteArgs extends LayerArgs {
  /** Width of the reduced FC (`Cr`). Required: block builders compute it with `seReducedChannels`. */
  reducedChannels: number;
  /** Activation after the reduce FC. Default `'relu'`. */
  activation?: SeActivation;
  /** Gate after the expand FC. Default `'sigmoid'`. */
  gate?: SeGate;
  /** Kernel shapes. Default `'conv1x1'` (`[1, 1, C, Cr]` and `[1, 1, Cr, C]`). */
  kernelLayout?: SeKernelLayout;
  /** Name of the reduce FC: its weights are `${reduceName}/kernel` and `${reduceName}/bias` inside
   * the layer. Lower case, as PyTorch module names are (`_` only before a letter). Default `'fc1'`
   * (timm `SEModule`, torchvision); timm's EfficientNet: `'conv_reduce'`. */
  reduceName?: string;
  /** Name of the expand FC. Default `'fc2'`; timm's EfficientNet: `'conv_expand'`. */
  expandName?: string;
}

/** `SqueezeExciteArgs` with every default filled in: what `getConfig` adds to the base config. */
export interface ResolvedSqueezeExciteArgs {
  reducedChannels: number;
  activation: SeActivation;
  gate: SeGate;
  kernelLayout: SeKernelLayout;
  reduceName: string;
  expandName: string;
}

// Lower-case PyTorch-style module names; an underscore must be followed by a letter. TF.js
// camel-cases every string value of a layer config when it loads a model.json ('conv_reduce' ->
// 'convReduce'), so upper case can only come from there, and `fromLoadedName` undoes it exactly.
const WEIGHT_NAME = /^[a-z0-9](?:[a-z0-9.-]|_[a-z])*$/;
const fromLoadedName = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Fills in the defaults of `SqueezeExciteArgs` and checks every value that needs no input shape. */
export function resolveSqueezeExciteArgs(args: SqueezeExciteArgs): ResolvedSqueezeExciteArgs {
  const fail = (what: string, value: unknown, must: string): never => {
    throw new Error(`SqueezeExcite: \`${what}\` must be ${must} (got ${what}=${JSON.stringify(value)})`);
  };
  const { reducedChannels } = args;
  if (!Number.isInteger(reducedChannels) || reducedChannels < 1) fail('reducedChannels', reducedChannels, 'a positive integer');
  const activation = args.activation ?? 'relu';
  if (!SE_ACTIVATIONS.includes(activation)) fail('activation', activation, `one of ${SE_ACTIVATIONS.join(', ')}`);
  const gate = args.gate ?? 'sigmoid';
  if (!SE_GATES.includes(gate)) fail('gate', gate, `one of ${SE_GATES.join(', ')}`);
  const kernelLayout = args.kernelLayout ?? 'conv1x1';
  if (kernelLayout !== 'conv1x1' && kernelLayout !== 'dense') fail('kernelLayout', kernelLayout, "'conv1x1' or 'dense'");
  const reduceName = fromLoadedName(args.reduceName ?? 'fc1');
  const expandName = fromLoadedName(args.expandName ?? 'fc2');
  for (const [what, value] of [['reduceName', args.reduceName], ['expandName', args.expandName]] as const) {
    if (value !== undefined && !WEIGHT_NAME.test(fromLoadedName(value))) {
      fail(what, value, 'a lower-case name of letters, digits, ".", "-" and "_" before a letter (a PyTorch module name)');
    }
  }
  if (reduceName === expandName) fail('expandName', expandName, `different from reduceName`);
  return { reducedChannels, activation, gate, kernelLayout, reduceName, expandName };
}

function singleShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  const first = inputShape[0];
  if (Array.isArray(first)) {
    if (inputShape.length !== 1) throw new Error(`SqueezeExcite: expects exactly one input (got ${inputShape.length} inputs)`);
    return first;
  }
  return inputShape as tf.Shape;
}

/**
 * Squeeze-and-excitation as one layer: global average pool, reduce FC (with bias), activation,
 * expand FC (with bias), gate, channel-wise product — one `call`, no intermediate layers. Works on
 * any channels-last input with at least one spatial axis. It owns four weights, in this order:
 * `${reduceName}/kernel`, `${reduceName}/bias`, `${expandName}/kernel`, `${expandName}/bias`, so a
 * PyTorch `se.fc1.weight` maps to `se/fc1/kernel` (transposed to HWIO or `[in, out]`).
 */
export class SqueezeExcite extends tf.layers.Layer implements MacsReporter {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksSqueezeExcite';

  /** The resolved arguments (defaults filled in). */
  readonly resolved: ResolvedSqueezeExciteArgs;
  private weightsOf: { w1: tf.LayerVariable; b1: tf.LayerVariable; w2: tf.LayerVariable; b2: tf.LayerVariable } | null = null;

  constructor(args: SqueezeExciteArgs) {
    super(args);
    this.resolved = resolveSqueezeExciteArgs(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const channels = shape[shape.length - 1];
    if (shape.length < 3 || channels == null) {
      throw new Error(
        `SqueezeExcite ${this.name}: the input must be [N, ..., C] with known channels and a spatial axis (got inputShape=${JSON.stringify(shape)})`,
      );
    }
    const { reducedChannels: reduced, kernelLayout, reduceName, expandName } = this.resolved;
    const kernelShape = (rows: number, cols: number) => (kernelLayout === 'conv1x1' ? [1, 1, rows, cols] : [rows, cols]);
    const glorot = tf.initializers.glorotUniform({});
    const zeros = tf.initializers.zeros();
    this.weightsOf = {
      w1: this.addWeight(`${reduceName}/kernel`, kernelShape(channels, reduced), 'float32', glorot),
      b1: this.addWeight(`${reduceName}/bias`, [reduced], 'float32', zeros),
      w2: this.addWeight(`${expandName}/kernel`, kernelShape(reduced, channels), 'float32', glorot),
      b2: this.addWeight(`${expandName}/bias`, [channels], 'float32', zeros),
    };
    this.inputSpec = [{ minNDim: 3, axes: { [-1]: channels } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined || this.weightsOf === null) throw new Error(`SqueezeExcite ${this.name}: call() needs one input and a built layer`);
      const { w1, b1, w2, b2 } = this.weightsOf;
      return squeezeExcite(
        x,
        { reduceKernel: w1.read(), reduceBias: b1.read() as tf.Tensor1D, expandKernel: w2.read(), expandBias: b2.read() as tf.Tensor1D },
        { activation: this.resolved.activation, gate: this.resolved.gate },
      );
    });
  }

  /** Multiply-adds per image: the two FCs, `C * Cr + Cr * C` (pooling and the gating product are not counted). */
  computeMacs(inputShape: tf.Shape | tf.Shape[]): number {
    const shape = singleShape(inputShape);
    const channels = shape[shape.length - 1] as number;
    return 2 * channels * this.resolved.reducedChannels;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.resolved };
  }
}
