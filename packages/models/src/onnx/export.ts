import * as tf from '@tensorflow/tfjs';
import type { LayerContext } from './context.js';
import { CONVERTERS } from './converters.js';
import { GraphBuilder, type Value } from './graph.js';
import { DATA_TYPE, encodeModel, type OnnxModel, type OnnxValueInfo } from './onnx-proto.js';

/** Options of `exportOnnx`. */
export interface ExportOnnxOptions {
  /** ONNX operator set version, from 13 to 21. Default 13. LayerNormalization is one op from 17 on,
   * and decomposed before. */
  opset?: number;
  /** Batch size fixed in the graph's input and output shapes, or null for a dynamic `'batch'`
   * dimension. Default null. */
  batchSize?: number | null;
}

const MIN_OPSET = 13;
const MAX_OPSET = 21;

/** The IR version that came with each operator set (onnx/onnx docs/Versioning.md). */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

type Node = tf.layers.Layer['inboundNodes'][number];

/** The nodes that compute `outputs` from the tensors in `known`, each after the nodes it reads from. */
function topologicalNodes(outputs: readonly tf.SymbolicTensor[], known: ReadonlyMap<number, Value>): Node[] {
  const order: Node[] = [];
  const state = new Map<Node, 'open' | 'done'>();
  const stack: Array<{ node: Node; expanded: boolean }> = [];
  const push = (t: tf.SymbolicTensor) => {
    if (known.has(t.id)) return;
    const node = t.sourceLayer.inboundNodes[t.nodeIndex];
    if (node === undefined) throw new Error(`exportOnnx: tensor "${t.name}" is not produced by any layer call of the model`);
    if (node.inputTensors.length === 0) throw new Error(`exportOnnx: "${t.name}" is an input (layer "${t.sourceLayer.name}") that is not one of the model's inputs`);
    if (!state.has(node)) stack.push({ node, expanded: false });
  };
  outputs.forEach(push);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { node: Node; expanded: boolean };
    if (state.get(top.node) === 'done') {
      stack.pop();
    } else if (top.expanded) {
      stack.pop();
      state.set(top.node, 'done');
      order.push(top.node);
    } else {
      top.expanded = true;
      state.set(top.node, 'open');
      top.node.inputTensors.forEach(push);
    }
  }
  return order;
}

function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/** Converts `model`'s graph, its inputs already given as `inputs`; returns its outputs. A model used
 * as a layer is inlined the same way. */
function convertModel(g: GraphBuilder, model: tf.LayersModel, inputs: readonly Value[]): Value[] {
  const values = new Map<number, Value>();
  model.inputs.forEach((t, i) => values.set(t.id, inputs[i] as Value));
  for (const node of topologicalNodes(model.outputs, values)) {
    const layer = node.outboundLayer;
    const nodeInputs = node.inputTensors.map((t) => values.get(t.id) as Value);
    let outputs: Value[];
    if (isModel(layer)) {
      outputs = convertModel(g, layer, nodeInputs);
    } else {
      const className = layer.getClassName();
      const converter = CONVERTERS[className];
      if (converter === undefined) {
        throw new Error(`exportOnnx: layer "${layer.name}" has class ${className}, which has no ONNX converter`);
      }
      const ctx: LayerContext = {
        g,
        layer,
        className,
        config: layer.getConfig(),
        inputs: nodeInputs,
        outputShapes: node.outputTensors.map((t) => t.shape),
      };
      outputs = [converter(ctx)].flat();
    }
    if (outputs.length !== node.outputTensors.length) {
      throw new Error(`exportOnnx: layer "${layer.name}" gave ${outputs.length} outputs for ${node.outputTensors.length} tensors`);
    }
    node.outputTensors.forEach((t, i) => values.set(t.id, outputs[i] as Value));
  }
  return model.outputs.map((t) => values.get(t.id) as Value);
}

function resolveOptions(options: ExportOnnxOptions): { opset: number; batch: number | string } {
  const opset = options.opset ?? MIN_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new Error(`exportOnnx: \`opset\` must be an integer from ${MIN_OPSET} to ${MAX_OPSET} (got opset=${JSON.stringify(opset)})`);
  }
  const batchSize = options.batchSize ?? null;
  if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new Error(`exportOnnx: \`batchSize\` must be a positive integer or null (got batchSize=${JSON.stringify(batchSize)})`);
  }
  return { opset, batch: batchSize ?? 'batch' };
}

/**
 * Exports a TF.js LayersModel (every model `createModel` builds, also after
 * `optimizeForInference`) as an ONNX model, for onnxruntime-node, onnxruntime-web or any ONNX
 * runtime. The graph's inputs and outputs have the model's names and its NHWC / TF.js shapes, so
 * the same float32 data goes in and the same logits come out; inside, the graph transposes to NCHW
 * once, runs its convs and pools there, and transposes back only where TF.js's element order
 * matters (a Flatten or Reshape, as VGG's classifier and Mixer's patch tokens). Weights become initializers (raw little-endian
 * float32, converted to ONNX layouts); dropout and stochastic depth are left out (inference).
 *
 * ```js
 * import * as ort from 'onnxruntime-node';
 * import { createModel, exportOnnx } from '@netblocks/models';
 *
 * const model = createModel('mobilenetv2_100', { inputShape: [224, 224, 3] });
 * const session = await ort.InferenceSession.create(exportOnnx(model));
 * const x = new ort.Tensor('float32', new Float32Array(224 * 224 * 3), [1, 224, 224, 3]);
 * const { [session.outputNames[0]]: logits } = await session.run({ [session.inputNames[0]]: x });
 * ```
 *
 * @param model The model; every layer must be of a class the exporter knows (the layers of every
 *   registered model, netblocks' fused inference layers, and common TF.js layers), otherwise the
 *   Error names the layer and its class. Nested models are inlined.
 * @param options `opset` (13 to 21, default 13) and `batchSize` (default null: dynamic).
 * @returns The serialized ModelProto.
 */
export function exportOnnx(model: tf.LayersModel, options: ExportOnnxOptions = {}): Uint8Array {
  return encodeModel(onnxModelOf(model, options));
}

/** The ONNX model `exportOnnx` serializes, as plain objects (nodes, initializers, inputs, outputs). */
export function onnxModelOf(model: tf.LayersModel, options: ExportOnnxOptions = {}): OnnxModel {
  if (!(model instanceof tf.LayersModel)) throw new Error(`exportOnnx: \`model\` must be a tf.LayersModel (got ${String(model)})`);
  const { opset, batch } = resolveOptions(options);
  const g = new GraphBuilder(opset);
  const info = (name: string, shape: ReadonlyArray<number | null>): OnnxValueInfo => ({
    name,
    elemType: DATA_TYPE.float,
    dims: shape.map((d, i) => (i === 0 ? batch : d)),
  });
  const inputs = model.inputs.map((t, i) => info(g.reserve(model.inputNames[i] ?? t.name), t.shape));
  const outputs = model.outputs.map((t, i) => info(g.reserve(model.outputNames[i] ?? t.name), t.shape));
  const results = convertModel(
    g,
    model,
    inputs.map((v, i) => ({ name: v.name, layout: 'native', shape: model.inputs[i]?.shape ?? [] })),
  );
  results.forEach((v, i) => {
    const name = (outputs[i] as OnnxValueInfo).name;
    if (v.layout === 'nchw' && v.other === undefined) g.nodeTo('Transpose', [v.name], name, { perm: [0, 2, 3, 1] });
    else g.nodeTo('Identity', [g.native(v)], name);
  });
  g.foldPadsIntoConvs(outputs.map((o) => o.name));
  return {
    irVersion: irVersionFor(opset),
    opset,
    producerName: '@netblocks/models',
    producerVersion: tf.version_layers,
    graph: { name: model.name, nodes: g.nodes, initializers: g.initializers, inputs, outputs },
  };
}
