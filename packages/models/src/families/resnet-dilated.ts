import * as tf from '@tensorflow/tfjs';
import { batchNorm, torchPad, type BlockFn } from '@netblocks/core';
import { bottleneckWidth, GroupConv2D, type ResNeXtBottleneckArgs } from '@netblocks/group-conv';

/**
 * The ResNet/ResNeXt bottleneck with its 3x3 conv dilated (timm's `Bottleneck(dilation=...)` for
 * `output_stride` 16 and 8): the same layers, names and weights as group-conv's `resnextBottleneck`,
 * which takes no dilation yet; the models use that one wherever the dilation is 1. Only the 3x3 conv
 * is dilated (padding `dilation` on every side); the 1x1 convs and the 1x1 downsample are not. timm
 * dilates only where it has dropped a stride, so the stride here must be 1.
 */
export function dilatedBottleneck(args: ResNeXtBottleneckArgs & { dilation: number }): BlockFn {
  const { name, inChannels, planes, dilation } = args;
  const cardinality = args.cardinality ?? 1;
  const expansion = args.expansion ?? 4;
  const padding = args.padding ?? 'torch';
  if ((args.strides ?? 1) !== 1) throw new Error(`dilatedBottleneck ${name}: a dilated bottleneck runs at stride 1 (got strides=${args.strides}, dilation=${dilation})`);
  const width = bottleneckWidth(planes, args.baseWidth ?? 64, cardinality);
  const outChannels = planes * expansion;
  const conv1x1 = (n: string, filters: number) => tf.layers.conv2d({ name: `${name}.${n}`, filters, kernelSize: 1, useBias: false });
  // As resnextBottleneck: a stock Conv2D (after its pad layer) when ungrouped, GroupConv2D (which pads itself) when grouped.
  const conv2Name = `${name}.conv2`;
  const conv2 =
    cardinality > 1
      ? new GroupConv2D({ name: conv2Name, filters: width, kernelSize: 3, groups: cardinality, dilationRate: dilation, useBias: false, padding })
      : tf.layers.conv2d({ name: conv2Name, filters: width, kernelSize: 3, dilationRate: dilation, useBias: false, padding: padding === 'same' ? 'same' : 'valid' });
  const pad2 = cardinality === 1 && padding === 'torch' ? torchPad(`${conv2Name}.pad`, 3, dilation) : (x: tf.SymbolicTensor) => x;
  const relu = (n: string) => tf.layers.reLU({ name: `${name}.${n}` });
  const main = [conv1x1('conv1', width), batchNorm(`${name}.bn1`, args), relu('act1')];
  const mid = [batchNorm(`${name}.bn2`, args), relu('act2'), conv1x1('conv3', outChannels), batchNorm(`${name}.bn3`, args)];
  const attention = args.attention?.(`${name}.se`, outChannels);
  const downsample = inChannels !== outChannels ? [conv1x1('downsample.0', outChannels), batchNorm(`${name}.downsample.1`, args)] : [];
  const add = tf.layers.add({ name: `${name}.add` });
  const act3 = relu('act3');
  const chain = (layers: tf.layers.Layer[], x: tf.SymbolicTensor) => layers.reduce((y, l) => l.apply(y) as tf.SymbolicTensor, x);
  return (x) => {
    let y = chain(main, x);
    y = chain(mid, conv2.apply(pad2(y)) as tf.SymbolicTensor);
    if (attention) y = attention(y);
    const shortcut = chain(downsample, x);
    return act3.apply(add.apply([y, shortcut]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  };
}
