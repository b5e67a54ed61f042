// Adam on plain Float32Arrays: the same update as TF.js's `tf.train.adam`, and the same saved
// slots, without TF.js ops. TF.js's Adam issues about a dozen small kernels per variable, which is
// 30+ ms a step for a network of ~300 variables on wasm; here a step is one loop over the values.
// Data-parallel training takes its step on the main thread while the workers wait, so that time
// is what bounds the speed-up.

import * as tf from '@tensorflow/tfjs';

/** A tensor with a name, as TF.js's optimizers pass gradients and slots. */
type NamedTensor = { name: string; tensor: tf.Tensor };

/** One variable's moments, by position in the gradients (as TF.js's Adam keys them). */
interface Moments {
  /** `${variable name}/m`, `/v`: the names TF.js's Adam saves them under. */
  name: string;
  shape: number[];
  m: Float32Array;
  v: Float32Array;
}

/** A variable to update: its gradient (null: zero, the moments decay) and its learning-rate scale. */
export interface ArrayUpdate {
  variable: tf.Variable;
  gradient: Float32Array | null;
  /** Multiplies the learning rate for this variable (a slower backbone). Default 1. */
  scale?: number;
}

/**
 * Adam (Kingma & Ba), as TF.js computes it: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
 * x -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), with b^t kept as a float32 running
 * product and eps the backend's. `getWeights`/`setWeights` read and write TF.js Adam's slots
 * (iterations, then every m, then every v), so checkpoints of either load into the other.
 */
export class ArrayAdam extends tf.Optimizer {
  static get className(): string {
    return 'ArrayAdam';
  }

  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** beta1^(t+1) and beta2^(t+1), rounded to float32 after every product as TF.js's scalars are. */
  private accBeta1: number;
  private accBeta2: number;
  private moments: Moments[] = [];

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super();
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon ?? tf.backend().epsilon();
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
  }

  /** The bias-correction products, to save with a checkpoint (`setWeights` recomputes them with `pow`, a last bit off). */
  get products(): [number, number] {
    return [this.accBeta1, this.accBeta2];
  }

  set products(values: [number, number]) {
    [this.accBeta1, this.accBeta2] = values;
  }

  /** TF.js's optimizer interface (`minimize` calls it): gradients by variable name, in a fixed order every step. */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    // As TF.js's Adam: a variable without a gradient keeps its moments and its value.
    const updates: (ArrayUpdate | null)[] = named.map(({ name, tensor }) => {
      const variable = tf.engine().registeredVariables[name];
      if (variable === undefined) throw new Error(`ArrayAdam: no variable named ${name}`);
      return tensor == null ? null : { variable, gradient: tensor.dataSync() as Float32Array };
    });
    this.step(updates);
  }

  /**
   * One step over `updates`, in the same order every call (the moments are keyed by position; a
   * null entry is skipped and keeps its moments). Writes each new value into its variable and, when
   * given, into `into` at `offsets[i]` (the packed weights the data-parallel workers read).
   */
  step(updates: readonly (ArrayUpdate | null)[], into?: { values: Float32Array; offsets: readonly number[] }): void {
    const correction1 = 1 - this.accBeta1;
    const correction2 = 1 - this.accBeta2;
    const { beta1, beta2, epsilon } = this;
    updates.forEach((update, i) => {
      if (update === null) return;
      const { variable, gradient } = update;
      const moments = this.momentsAt(i, variable);
      const { m, v } = moments;
      const x = Float32Array.from(variable.dataSync() as Float32Array);
      const rate = this.learningRate * (update.scale ?? 1);
      for (let j = 0; j < x.length; j++) {
        const g = gradient === null ? 0 : (gradient[j] as number);
        const mj = beta1 * (m[j] as number) + (1 - beta1) * g;
        const vj = beta2 * (v[j] as number) + (1 - beta2) * g * g;
        m[j] = mj;
        v[j] = vj;
        x[j] = (x[j] as number) - (rate * (mj / correction1)) / (Math.sqrt(vj / correction2) + epsilon);
      }
      tf.tidy(() => variable.assign(tf.tensor(x, variable.shape, 'float32')));
      into?.values.set(x, into.offsets[i]);
    });
    this.accBeta1 = Math.fround(this.accBeta1 * beta1);
    this.accBeta2 = Math.fround(this.accBeta2 * beta2);
    this.incrementIterations();
  }

  private momentsAt(i: number, variable: tf.Variable): Moments {
    const existing = this.moments[i];
    if (existing) {
      if (existing.m.length !== variable.size) throw new Error(`ArrayAdam: slot ${i} (${existing.name}) holds ${existing.m.length} values, variable ${variable.name} has ${variable.size}`);
      return existing;
    }
    const created: Moments = { name: variable.name, shape: [...variable.shape], m: new Float32Array(variable.size), v: new Float32Array(variable.size) };
    this.moments[i] = created;
    return created;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = (which: 'm' | 'v') => this.moments.map((s) => ({ name: `${s.name}/${which}`, tensor: tf.tensor(s[which].slice(), s.shape, 'float32') }));
    return [await this.saveIterations(), ...slots('m'), ...slots('v')];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const slots = await this.extractIterations(weightValues);
    if (slots.length % 2 !== 0) throw new Error(`ArrayAdam: expected as many first as second moments (got ${slots.length} slots)`);
    const count = slots.length / 2;
    this.accBeta1 = Math.fround(this.beta1 ** (this.iterations + 1));
    this.accBeta2 = Math.fround(this.beta2 ** (this.iterations + 1));
    this.moments = slots.slice(0, count).map((first, i) => {
      const second = slots[count + i] as NamedTensor;
      return { name: first.name.replace(/\/m$/, ''), shape: [...first.tensor.shape], m: Float32Array.from(first.tensor.dataSync() as Float32Array), v: Float32Array.from(second.tensor.dataSync() as Float32Array) };
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
