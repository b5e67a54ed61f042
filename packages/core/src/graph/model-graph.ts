import type * as tf from '@tensorflow/tfjs';

/** One call of a layer in a model's graph (tfjs-layers' `Node`). */
export type GraphNode = tf.layers.Layer['inboundNodes'][number];

/** True for a model used as a layer (a `tf.LayersModel` inside another). */
export function isContainer(layer: tf.layers.Layer): layer is tf.LayersModel {
  return 'nodesByDepth' in layer && 'containerNodes' in layer && Array.isArray((layer as tf.LayersModel).layers);
}

/** True for the layer behind `tf.input`. */
export function isInputNode(node: GraphNode): boolean {
  return node.inboundLayers.length === 0;
}

/**
 * The call graph of a functional (or sequential) `tf.LayersModel`: its nodes in topological order,
 * who produces and who consumes each symbolic tensor. Fusion rules read it to check that the layers
 * they would replace are used nowhere else.
 */
export class ModelGraph {
  /** Every call of a layer that the model's outputs depend on, inputs first. */
  readonly nodes: readonly GraphNode[];
  private readonly consumersById = new Map<number, GraphNode[]>();
  private readonly callsByLayer = new Map<tf.layers.Layer, GraphNode[]>();
  private readonly outputIds: ReadonlySet<number>;

  constructor(readonly model: tf.LayersModel) {
    const nodes: GraphNode[] = [];
    const seen = new Set<GraphNode>();
    const visit = (tensor: tf.SymbolicTensor): void => {
      const node = this.producer(tensor);
      if (seen.has(node)) return;
      seen.add(node);
      if (!isInputNode(node)) node.inputTensors.forEach(visit);
      nodes.push(node);
    };
    model.outputs.forEach(visit);
    for (const node of nodes) {
      const calls = this.callsByLayer.get(node.outboundLayer) ?? [];
      calls.push(node);
      this.callsByLayer.set(node.outboundLayer, calls);
      if (isInputNode(node)) continue;
      for (const input of node.inputTensors) {
        const consumers = this.consumersById.get(input.id) ?? [];
        consumers.push(node);
        this.consumersById.set(input.id, consumers);
      }
    }
    this.nodes = nodes;
    this.outputIds = new Set(model.outputs.map((t) => t.id));
  }

  /** The call that produced `tensor`. */
  producer(tensor: tf.SymbolicTensor): GraphNode {
    const node = tensor.sourceLayer.inboundNodes[tensor.nodeIndex];
    if (node === undefined) throw new Error(`ModelGraph: tensor ${tensor.name} has no producing node in layer ${tensor.sourceLayer.name}`);
    return node;
  }

  /** The layer's only call in the model, or null when it is called several times (a shared layer) or not at all. */
  singleCall(layer: tf.layers.Layer): GraphNode | null {
    const calls = this.callsByLayer.get(layer);
    return calls?.length === 1 ? (calls[0] as GraphNode) : null;
  }

  /** The calls that read `tensor` (once per input slot). */
  consumers(tensor: tf.SymbolicTensor): readonly GraphNode[] {
    return this.consumersById.get(tensor.id) ?? [];
  }

  /** True when `tensor` is one of the model's outputs. */
  isOutput(tensor: tf.SymbolicTensor): boolean {
    return this.outputIds.has(tensor.id);
  }

  /** True when `tensor` is read by `node` alone, once, and is not a model output: replacing both loses nothing. */
  feedsOnly(tensor: tf.SymbolicTensor, node: GraphNode): boolean {
    const consumers = this.consumers(tensor);
    return consumers.length === 1 && consumers[0] === node && !this.isOutput(tensor);
  }
}
