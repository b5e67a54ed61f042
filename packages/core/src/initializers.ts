import * as tf from '@tensorflow/tfjs';

/** Initializers a netblocks layer can be given, by the name `tf.initializers` spells them (a name serializes as itself). */
export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'leCunUniform'
  | 'leCunNormal'
  | 'zeros'
  | 'ones';

type Initializer = ReturnType<typeof tf.initializers.ones>;

const INITIALIZERS: Record<InitializerName, () => Initializer> = {
  glorotUniform: () => tf.initializers.glorotUniform({}),
  glorotNormal: () => tf.initializers.glorotNormal({}),
  heUniform: () => tf.initializers.heUniform({}),
  heNormal: () => tf.initializers.heNormal({}),
  leCunUniform: () => tf.initializers.leCunUniform({}),
  leCunNormal: () => tf.initializers.leCunNormal({}),
  zeros: () => tf.initializers.zeros(),
  ones: () => tf.initializers.ones(),
};

/** Checks that `value` names a known initializer; `owner` and `argName` go into the error. */
export function checkInitializer(owner: string, argName: string, value: unknown): InitializerName {
  if (typeof value !== 'string' || !Object.hasOwn(INITIALIZERS, value)) {
    throw new Error(
      `${owner}: \`${argName}\` must be one of ${Object.keys(INITIALIZERS).join(', ')} (got ${argName}=${JSON.stringify(value)})`,
    );
  }
  return value as InitializerName;
}

/** A fresh initializer instance for `name`. */
export function makeInitializer(name: InitializerName): Initializer {
  return INITIALIZERS[name]();
}
