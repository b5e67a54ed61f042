// The PRNG and the shuffle are @netblocks/models' (fineTune draws from them too).
export { seededPermutation, seededRandom } from '@netblocks/models';

/** The seed of epoch `epoch`'s shuffle: a function of the run's seed and the epoch only, so a
 * resumed run draws the same order as an uninterrupted one. */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 31) + Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}
