import type * as tf from '@tensorflow/tfjs';
import { knownLayerMacs, reportsMacs } from './macs.js';

/** Parameters and multiply-adds of one layer of a model. */
export interface LayerProfile {
  /** The layer's name; layers of a nested model carry its path, e.g. `backbone/conv1`. */
  name: string;
  /** The layer's class name (`getClassName()`). */
  className: string;
  /** Output shape of the layer's first call in the model (batch dim included, usually `null`);
   * a list of shapes for a layer with several outputs. */
  outputShape: tf.Shape | tf.Shape[];
  /** Every weight of the layer, BatchNorm moving statistics included. */
  params: number;
  /** The weights that training updates (0 when the layer or a model holding it is frozen). */
  trainableParams: number;
  /** Multiply-adds of conv and linear work per image, summed over every call of the layer in the
   * model (0 for BN, activations, pooling, element-wise ops). */
  macs: number;
}

/** What `profile` reports about a model. */
export interface ModelProfile {
  /** `model.countParams()`: trainable weights plus non-trainable ones (BN moving mean/variance). */
  totalParams: number;
  /** Parameters that training updates (PyTorch's `sum(p.numel())` for a model in train form). */
  trainableParams: number;
  /** `totalParams - trainableParams`. */
  nonTrainableParams: number;
  /** Multiply-adds per image of conv and linear layers, as torchvision's GFLOPS counts them. */
  macs: number;
  /** Every layer in model order; a nested model is replaced by its own layers. */
  layers: LayerProfile[];
  /** Class names of layers that hold weights but neither are known to profile nor implement
   * `MacsReporter`: their MACs were counted as 0. Empty when the count is complete. */
  unknownLayers: string[];
}

type Container = tf.LayersModel;
type GraphNode = tf.layers.Layer['inboundNodes'][number];

const isContainer = (layer: tf.layers.Layer): layer is Container =>
  'nodesByDepth' in layer && 'containerNodes' in layer && Array.isArray((layer as Container).layers);
const isInputLayer = (layer: tf.layers.Layer): boolean => layer.getClassName() === 'InputLayer';

const countWeights = (weights: readonly tf.LayerVariable[]): number =>
  weights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 0), 1), 0);

/** A `Shape | Shape[]` as TF.js passes it around, always as a list. */
function shapeList(shapes: tf.Shape | tf.Shape[]): tf.Shape[] {
  return shapes.length > 0 && shapes.every((s) => Array.isArray(s)) ? (shapes as tf.Shape[]) : [shapes as tf.Shape];
}
const singleOrList = (shapes: tf.Shape[]): tf.Shape | tf.Shape[] => (shapes.length === 1 ? (shapes[0] as tf.Shape) : shapes);

interface Row {
  profile: LayerProfile;
  /** Whether the walk reached the layer yet (its first call sets `outputShape`). */
  called: boolean;
}

interface WalkState {
  rows: Map<string, Row>;
  unknown: Set<string>;
}

/** One row per leaf layer, in the order of `container.layers`, nested models flattened in place. */
function addRows(container: Container, prefix: string, trainable: boolean, rows: Map<string, Row>): void {
  for (const layer of container.layers) {
    if (isContainer(layer)) {
      addRows(layer, `${prefix}${layer.name}/`, trainable && layer.trainable, rows);
      continue;
    }
    // A nested model's input layer only repeats the shape its caller feeds it.
    if (prefix !== '' && isInputLayer(layer)) continue;
    const name = `${prefix}${layer.name}`;
    rows.set(name, {
      called: false,
      profile: {
        name,
        className: layer.getClassName(),
        outputShape: [],
        params: layer.countParams(),
        trainableParams: trainable ? countWeights(layer.trainableWeights) : 0,
        macs: 0,
      },
    });
  }
}

function layerMacs(layer: tf.layers.Layer, inputShapes: tf.Shape[], outputShapes: tf.Shape[], unknown: Set<string>): number {
  if (reportsMacs(layer)) {
    const macs = layer.computeMacs(singleOrList(inputShapes), singleOrList(outputShapes));
    if (!Number.isFinite(macs) || macs < 0) {
      throw new Error(`profile: computeMacs of layer "${layer.name}" must return a count >= 0 (got ${macs})`);
    }
    return macs;
  }
  const known = knownLayerMacs(layer, inputShapes, outputShapes);
  if (known !== undefined) return known;
  // A layer without weights can hold no conv or linear kernel: it costs 0 and is not "unknown".
  if (layer.countParams() > 0) unknown.add(layer.getClassName());
  return 0;
}

/** Output shapes of one node when its inputs have `inputShapes`: the recorded ones when the
 * inputs are those it was built with, else recomputed (a nested model called at a new size). */
function nodeOutputShapes(node: GraphNode, inputShapes: tf.Shape[]): tf.Shape[] {
  const layer = node.outboundLayer;
  if (isInputLayer(layer)) return inputShapes;
  if (JSON.stringify(inputShapes) === JSON.stringify(shapeList(node.inputShapes))) return shapeList(node.outputShapes);
  return shapeList(layer.computeOutputShape(singleOrList(inputShapes)));
}

/**
 * Runs shapes through `container`'s graph, node by node in topological order, counting the MACs
 * of every call into its row. Returns the container's output shapes for these inputs.
 */
function walk(container: Container, inputShapes: tf.Shape[], prefix: string, state: WalkState): tf.Shape[] {
  const shapes = new Map<number, tf.Shape>();
  container.inputs.forEach((t, i) => shapes.set(t.id, inputShapes[i] ?? t.shape));
  const shapeOf = (t: tf.SymbolicTensor): tf.Shape => shapes.get(t.id) ?? t.shape;
  // Nodes at depth d feed only nodes at depths below d.
  const depths = Object.keys(container.nodesByDepth)
    .map(Number)
    .sort((a, b) => b - a);
  for (const depth of depths) {
    for (const node of container.nodesByDepth[depth] ?? []) {
      const layer = node.outboundLayer;
      const nodeInputs = node.inputTensors.map(shapeOf);
      let outputs: tf.Shape[];
      if (isContainer(layer)) {
        outputs = walk(layer, nodeInputs, `${prefix}${layer.name}/`, state);
      } else {
        outputs = nodeOutputShapes(node, nodeInputs);
        const row = state.rows.get(`${prefix}${layer.name}`);
        if (row !== undefined) {
          if (!row.called) row.profile.outputShape = singleOrList(outputs);
          row.called = true;
          row.profile.macs += layerMacs(layer, nodeInputs, outputs, state.unknown);
        }
      }
      node.outputTensors.forEach((t, i) => shapes.set(t.id, outputs[i] ?? t.shape));
    }
  }
  return container.outputs.map(shapeOf);
}

/**
 * Parameters and multiply-adds of `model`, per layer and in total. MACs count conv and linear
 * work per image (no batch), as torchvision's GFLOPS: Conv H*W*kh*kw*(Cin/groups)*Cout,
 * depthwise H*W*kh*kw*Cin*multiplier, Dense every output position times in*out; bias adds, BN,
 * activations, pooling and element-wise ops are not counted. A custom layer counts its own
 * through `MacsReporter`; one that doesn't is counted as 0 and named in `unknownLayers`.
 * Nested models are walked at the shapes their caller feeds them.
 *
 * Throws when a counted layer has an unknown (null) dimension other than batch: MACs need a
 * fixed input size.
 */
export function profile(model: tf.LayersModel): ModelProfile {
  const totalParams = model.countParams(); // also builds a Sequential
  const trainableParams = countWeights(model.trainableWeights);
  const state: WalkState = { rows: new Map(), unknown: new Set() };
  addRows(model, '', model.trainable, state.rows);
  walk(
    model,
    model.inputs.map((t) => t.shape),
    '',
    state,
  );
  const layers = [...state.rows.values()].map((row) => row.profile);
  return {
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    macs: layers.reduce((sum, l) => sum + l.macs, 0),
    layers,
    unknownLayers: [...state.unknown],
  };
}
