// Exact conversions between float32 and the two 16-bit float formats safetensors stores:
// IEEE 754 binary16 (F16: 1 sign, 5 exponent, 10 mantissa bits) and bfloat16 (BF16: the top
// 16 bits of a float32). Decoding is exact; encoding rounds to nearest, ties to even.

/** Converts F16 bit patterns to float32 values, exactly (subnormals, ±0, ±inf and NaN included). */
export function decodeF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i] as number;
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) {
      // Subnormal or zero: mantissa × 2^-24, exactly representable in float32.
      const magnitude = mantissa * 2 ** -24;
      out[i] = sign !== 0 ? -magnitude : magnitude;
    } else if (exponent === 0x1f) {
      outBits[i] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    } else {
      // Rebias the exponent from 15 to 127 and widen the mantissa from 10 to 23 bits.
      outBits[i] = (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
    }
  }
  return out;
}

/** Converts float32 values to F16 bit patterns, rounding to nearest with ties to even; values beyond
 * the F16 range become ±inf, NaN stays NaN. */
export function encodeF16(values: Float32Array): Uint16Array {
  const inBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = float32BitsToF16(inBits[i] as number);
  }
  return out;
}

function float32BitsToF16(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exponent32 = (f >>> 23) & 0xff;
  const mantissa32 = f & 0x7fffff;
  if (exponent32 === 0xff) {
    // Inf stays inf; NaN keeps its top payload bits and is forced quiet so it stays a NaN.
    return mantissa32 === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa32 >>> 13);
  }
  const exponent = exponent32 - 112; // rebias from 127 to 15
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    // Result is subnormal (or zero): shift the 24-bit significand down to units of 2^-24.
    if (exponent < -10) return sign;
    const significand = mantissa32 | 0x800000;
    const shift = 14 - exponent;
    return sign | roundShift(significand, shift);
  }
  // Normal: a carry out of the mantissa correctly bumps the exponent (up to inf at 0x7c00).
  return sign | roundShift((exponent << 23) | mantissa32, 13);
}

/** `value >> shift`, rounded to nearest with ties to even. */
function roundShift(value: number, shift: number): number {
  const truncated = value >>> shift;
  const remainder = value - truncated * 2 ** shift;
  const half = 2 ** (shift - 1);
  return remainder > half || (remainder === half && (truncated & 1) === 1) ? truncated + 1 : truncated;
}

/** Converts BF16 bit patterns to float32 values, exactly (a BF16 value is the top half of a float32). */
export function decodeBF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    outBits[i] = ((bits[i] as number) << 16) >>> 0;
  }
  return out;
}

/** Converts float32 values to BF16 bit patterns, rounding to nearest with ties to even; values that
 * round past the largest BF16 become ±inf, NaN stays NaN. */
export function encodeBF16(values: Float32Array): Uint16Array {
  const inBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const f = inBits[i] as number;
    const isNaN = (f & 0x7f800000) === 0x7f800000 && (f & 0x7fffff) !== 0;
    out[i] = isNaN ? (f >>> 16) | 0x40 : roundShift(f, 16);
  }
  return out;
}
