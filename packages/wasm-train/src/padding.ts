/**
 * How to feed one spatial axis of length `length` to a "valid" window op (window extent `window`,
 * step `step`) so that it gives exactly `wanted` outputs when the axis starts `before` positions
 * early (a negative `before` starts inside the input). XNNPACK, behind the wasm kernels, takes no
 * negative padding, so what would be negative padding becomes a crop of the input.
 */
export interface AxisFit {
  /** Zeros before and after the (cropped) input. */
  pad: [number, number];
  /** First input index kept, and how many are kept. */
  crop: [number, number];
}

export function fitAxis(length: number, before: number, window: number, step: number, wanted: number): AxisFit {
  const needed = (wanted - 1) * step + window;
  const cropStart = Math.max(0, -before);
  const padBefore = Math.max(0, before);
  const available = length - cropStart;
  const after = needed - padBefore - available;
  return after >= 0
    ? { pad: [padBefore, after], crop: [cropStart, available] }
    : { pad: [padBefore, 0], crop: [cropStart, available + after] };
}

/** True when the fit keeps the whole axis. */
export function keepsAll(fit: AxisFit, length: number): boolean {
  return fit.crop[0] === 0 && fit.crop[1] === length;
}
