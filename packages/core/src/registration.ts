import * as tf from '@tensorflow/tfjs';

/** Every class netblocks registers carries this prefix, so that ours never collide with another
 * library's class of the same bare name (tfjs-layers keys its registry by `className` alone). */
export const CLASS_NAME_PREFIX = 'Netblocks';

/** A serializable class as `tf.serialization.registerClass` takes it. */
export type SerializableClass = tf.serialization.SerializableConstructor<tf.serialization.Serializable> & {
  className: string;
};

/**
 * Registers a layer (or any serializable) class with TF.js, after checking that its `className`
 * carries the netblocks prefix. Registering the same class twice is harmless; registering a
 * different class under a name already taken is an error, never a silent overwrite.
 */
export function registerNetblocksClass<T extends SerializableClass>(cls: T): T {
  const name = cls.className;
  if (typeof name !== 'string' || !name.startsWith(CLASS_NAME_PREFIX)) {
    throw new Error(
      `registerNetblocksClass: \`className\` must start with "${CLASS_NAME_PREFIX}" (got className=${String(name)})`,
    );
  }
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[name];
  if (registered !== undefined) {
    if (registered[0] === (cls as unknown)) return cls;
    throw new Error(`registerNetblocksClass: another class is already registered as "${name}"`);
  }
  tf.serialization.registerClass(cls);
  return cls;
}
