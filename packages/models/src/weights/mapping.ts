import type * as tf from '@tensorflow/tfjs';
import { flattenedLinear, type WeightLayout } from './layouts.js';
import { COUNTER_BUFFERS, matchRule } from './rules.js';

/** One model weight and the PyTorch state-dict entry it corresponds to. */
export interface MappedWeight {
  /** The PyTorch key, `${layerName}.${suffix}`. */
  torchKey: string;
  /** The layer that owns the weight. */
  layerName: string;
  variable: tf.LayerVariable;
  tfShape: number[];
  torchShape: number[];
  layout: WeightLayout;
}

/** A model's weights as PyTorch sees them. */
export interface ModelMapping {
  /** Every weight a rule covers, in model order. */
  weights: MappedWeight[];
  /** PyTorch buffers with no TF.js weight (BatchNorm's `num_batches_tracked`). */
  counters: string[];
  /** Weights of layers no rule covers: `originalName (className)`. */
  unmapped: string[];
  /** The last layer with weights (the classifier, when the model has one). */
  lastWeightedLayer: string | undefined;
}

/** The `[H, W, C]` map a Dense layer's input was flattened from, if it comes straight from a Flatten. */
function flattenedInputShape(layer: tf.layers.Layer): [number, number, number] | undefined {
  const source = layer.inboundNodes[0]?.inboundLayers[0];
  if (source?.getClassName() !== 'Flatten') return undefined;
  const shape = source.inboundNodes[0]?.inputTensors[0]?.shape;
  if (shape?.length !== 4) return undefined;
  const [, h, w, c] = shape;
  return h && w && c ? [h, w, c] : undefined;
}

/** Maps every weight of `model` to its PyTorch key and layout, by layer name and class (see `RULES`). */
export function mapModel(model: tf.LayersModel): ModelMapping {
  const mapping: ModelMapping = { weights: [], counters: [], unmapped: [], lastWeightedLayer: undefined };
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (layer.weights.length > 0) mapping.lastWeightedLayer = layer.name;
    for (const variable of layer.weights) {
      const localName = variable.originalName.slice(layer.name.length + 1);
      const match = variable.originalName.startsWith(`${layer.name}/`) ? matchRule(className, localName) : undefined;
      if (!match) {
        mapping.unmapped.push(`${variable.originalName} (${className})`);
        continue;
      }
      const tfShape = [...variable.shape] as number[];
      const flattened = match.rule.flattenAware ? flattenedInputShape(layer) : undefined;
      const layout = flattened ? flattenedLinear(...flattened) : match.rule.layout;
      mapping.weights.push({ torchKey: `${layer.name}.${match.torchSuffix}`, layerName: layer.name, variable, tfShape, torchShape: layout.torchShape(tfShape), layout });
    }
    for (const buffer of COUNTER_BUFFERS[className] ?? []) mapping.counters.push(`${layer.name}.${buffer}`);
  }
  return mapping;
}
