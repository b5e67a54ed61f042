/** One block's stride and dilation once the output stride is applied, and the network's stride after it. */
export interface DilatedBlock {
  strides: number;
  dilation: number;
  /** Stride of the block's output relative to the input (what `featureInfo` reports). */
  reduction: number;
}

/**
 * timm's `output_stride` rule (resnet.py `make_blocks`, `EfficientNetBuilder`, byobnet
 * `create_byob_stages`): walking the blocks in order from a network stride of `reduction`, a block
 * whose stride would take the network past `outputStride` runs at stride 1 instead, and every block
 * after it is dilated by that stride (compounding: 2, then 4). The block that gives up its stride
 * keeps the dilation before it, so the first block of a dilated stage reads at the previous rate
 * (timm's `first_dilation` / `prev_dilation`; byobnet's `1 if dilation in (1, 2) else 2` is the same
 * for stage strides of 2). `blockStrides` are the undilated strides, one per block.
 */
export function dilateForOutputStride(blockStrides: readonly number[], outputStride: number, reduction: number): DilatedBlock[] {
  let stride = reduction;
  let dilation = 1;
  return blockStrides.map((s) => {
    if (s > 1 && stride * s > outputStride) {
      const block = { strides: 1, dilation, reduction: stride };
      dilation *= s;
      return block;
    }
    stride *= s;
    return { strides: s, dilation, reduction: stride };
  });
}

/** `dilateForOutputStride` over stages: `stages[i]` blocks with `strides[i]` on the first, 1 after. */
export function dilateStages(blocks: readonly number[], strides: readonly number[], outputStride: number, reduction: number): DilatedBlock[][] {
  const flat = blocks.flatMap((n, i) => Array.from({ length: n }, (_, b) => (b === 0 ? (strides[i] as number) : 1)));
  const dilated = dilateForOutputStride(flat, outputStride, reduction);
  let start = 0;
  return blocks.map((n) => dilated.slice(start, (start += n)));
}
