import type { SafetensorsTensor } from './dtypes.js';
import { decodeBF16, decodeF16 } from './half.js';

const EXACT_INTEGER_LIMIT = 2n ** 53n;

/**
 * A stored tensor's values as float32. F16 and BF16 are widened exactly; F64 and 32-bit integers
 * round as a float32 cast does; I64/U64 must lie within ±2^53 (exact as JavaScript numbers), else
 * this throws an Error naming `name`, the value and its index.
 */
export function tensorToFloat32(tensor: SafetensorsTensor, name: string): Float32Array {
  switch (tensor.dtype) {
    case 'F32':
      return tensor.data;
    case 'F16':
      return decodeF16(tensor.data);
    case 'BF16':
      return decodeBF16(tensor.data);
    case 'I64':
    case 'U64':
      return Float32Array.from(tensor.data, (value: bigint, index: number) => {
        if (value > EXACT_INTEGER_LIMIT || value < -EXACT_INTEGER_LIMIT) {
          throw new Error(`tensor "${name}" (${tensor.dtype}): value ${value} at index ${index} is beyond ±2^53, too large to convert exactly`);
        }
        return Number(value);
      });
    default:
      return Float32Array.from(tensor.data);
  }
}
