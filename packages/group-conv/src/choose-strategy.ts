import type { GroupConvGeometry, GroupConvStrategy } from './strategies.js';

/**
 * Picks the fastest strategy for one grouped conv from its shape and the backend, by rules read
 * off `tools/bench/group-conv.mjs` (results in tools/bench/results/group-conv.md; 2-core x86,
 * batch 1; rerun it to check them on another machine):
 * - 1x1 kernels: on cpu the batched matmul always; on wasm per-group convs while each group's GEMM
 *   is big enough (at most 4 groups, or at least 32 outputs per group: ShuffleNet g3 and g8's
 *   expanding convs, 3.6-4.9x a dense conv of the same MACs), the batched matmul beyond (g8's
 *   reducing convs, 10.9x against 12.3x);
 * - kxk kernels: per-group convs for at most 8 wide groups (RepVGG-g4: 1.6-1.8x a dense conv of the
 *   same MACs), the depthwise formulation for many narrow groups (ResNeXt's 32: 2.7-5x, against
 *   9-44x for per-group convs, whose slices copy element by element on wasm).
 * The block-diagonal form is never chosen per call: it pays G times the MACs and rebuilds its kernel
 * each time; it is for inference, where the expanded kernel is built once.
 */
export function chooseStrategy(
  _xShape: readonly number[],
  filterShape: readonly number[],
  geo: GroupConvGeometry,
  backend: string,
): GroupConvStrategy {
  const [kh, kw, , cout] = filterShape as [number, number, number, number];
  const { groups } = geo;
  if (kh === 1 && kw === 1) {
    if (backend === 'cpu') return 'matmul';
    return groups <= 4 || cout / groups >= 32 ? 'split' : 'matmul';
  }
  return groups <= 8 ? 'split' : 'depthwise';
}
