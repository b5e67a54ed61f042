import * as tf from '@tensorflow/tfjs';
import { checkInitializer, makeInitializer, type InitializerName, type MacsReporter } from '@netblocks/core';
import { checkGelu, tokenMixing, type GeluApproximation } from './op.js';

/** The arguments every TF.js layer takes: `name`, `trainable`, `inputShape`, `dtype`, ... */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Initializers the Mixer layers can be given by name (names as `tf.initializers` spells them). */
/** Initializers by name, as every netblocks layer takes them (core's table). */
export type MixerInitializer = InitializerName;

/** Arguments of `TokenMixing`, on top of the base layer arguments. */
export interface TokenMixingArgs extends LayerArgs {
  /** D_S, the hidden width of the token MLP: a hyper-parameter of the model size (256 for
   * Mixer-S, 384 for B, 512 for L), not the number of tokens. Required. */
  tokenMlpDim: number;
  /** GELU between the two dense layers. Default `'exact'` (erf, as PyTorch and timm). */
  gelu?: GeluApproximation;
  /** Initializer of both kernels. Default `'glorotUniform'` (timm's xavier_uniform; fans S and D_S). */
  kernelInitializer?: MixerInitializer;
  /** Initializer of both biases. Default `'zeros'`. */
  biasInitializer?: MixerInitializer;
}

/** `TokenMixingArgs` with every default filled in: exactly what `getConfig` adds to the base config. */
export interface ResolvedTokenMixingArgs {
  tokenMlpDim: number;
  gelu: GeluApproximation;
  kernelInitializer: MixerInitializer;
  biasInitializer: MixerInitializer;
}

/** Fills in the defaults of `TokenMixingArgs` and checks every value. */
export function resolveTokenMixingArgs(args: TokenMixingArgs): ResolvedTokenMixingArgs {
  const fn = 'TokenMixing';
  const { tokenMlpDim } = args;
  if (!Number.isInteger(tokenMlpDim) || tokenMlpDim < 1) {
    throw new Error(`${fn}: \`tokenMlpDim\` must be a positive integer (got tokenMlpDim=${tokenMlpDim})`);
  }

  return {
    tokenMlpDim,
    gelu: checkGelu(fn, args.gelu ?? 'exact'),
    kernelInitializer: checkInitializer(fn, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform'),
    biasInitializer: checkInitializer(fn, 'biasInitializer', args.biasInitializer ?? 'zeros'),
  };
}

function singleShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/**
 * The token-mixing MLP of MLP-Mixer as one layer on `[N, S, C]`: owns `fc1` (`[S, D_S]` kernel,
 * `[D_S]` bias) and `fc2` (`[D_S, S]`, `[S]`), named `fc1/kernel`, `fc1/bias`, `fc2/kernel`,
 * `fc2/bias` under the layer (timm's `mlp_tokens.fc1.weight` is the `[D_S, S]` transpose), and
 * computes `tokenMixing` in one call. Saved models that use it load once
 * `@netblocks/mlp-mixer/register` has been imported.
 */
export class TokenMixing extends tf.layers.Layer implements MacsReporter {
  /** The name TF.js serializes this class under; carries the netblocks prefix. */
  static className = 'NetblocksTokenMixing';

  /** The resolved arguments, defaults included. */
  readonly resolved: ResolvedTokenMixingArgs;
  private weightsOf: { fc1Kernel: tf.LayerVariable; fc1Bias: tf.LayerVariable; fc2Kernel: tf.LayerVariable; fc2Bias: tf.LayerVariable } | null = null;

  constructor(args: TokenMixingArgs) {
    super(args);
    this.resolved = resolveTokenMixingArgs(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const tokens = shape[1];
    if (shape.length !== 3 || tokens == null) {
      throw new Error(`TokenMixing ${this.name}: input must be [N, S, C] with S known (got inputShape=${JSON.stringify(shape)})`);
    }
    const hidden = this.resolved.tokenMlpDim;
    const kernel = () => makeInitializer(this.resolved.kernelInitializer);
    const bias = () => makeInitializer(this.resolved.biasInitializer);
    this.weightsOf = {
      fc1Kernel: this.addWeight('fc1/kernel', [tokens, hidden], 'float32', kernel()),
      fc1Bias: this.addWeight('fc1/bias', [hidden], 'float32', bias()),
      fc2Kernel: this.addWeight('fc2/kernel', [hidden, tokens], 'float32', kernel()),
      fc2Bias: this.addWeight('fc2/bias', [tokens], 'float32', bias()),
    };
    this.inputSpec = [{ ndim: 3, axes: { 1: tokens } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const w = this.weightsOf;
      if (w === null) throw new Error(`TokenMixing ${this.name}: call() before build()`);
      const weights = {
        fc1Kernel: w.fc1Kernel.read() as tf.Tensor2D,
        fc1Bias: w.fc1Bias.read() as tf.Tensor1D,
        fc2Kernel: w.fc2Kernel.read() as tf.Tensor2D,
        fc2Bias: w.fc2Bias.read() as tf.Tensor1D,
      };
      return tokenMixing(x, weights, { gelu: this.resolved.gelu });
    });
  }

  /** Multiply-adds per image: two dense layers over the tokens of every channel, `2 * S * D_S * C`. */
  computeMacs(inputShape: tf.Shape | tf.Shape[]): number {
    const [, tokens, channels] = singleShape(inputShape);
    if (tokens == null || channels == null) {
      throw new Error(`TokenMixing ${this.name}: MACs need known S and C (got inputShape=${JSON.stringify(singleShape(inputShape))})`);
    }
    return 2 * tokens * this.resolved.tokenMlpDim * channels;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.resolved };
  }
}
