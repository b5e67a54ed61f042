// onnxruntime-node, the native CPU runtime: imported only when asked for, from the Node entry
// (`@netblocks/models/node`) and the pool's workers; an optional peer dependency.
import { importOptional } from './onnxruntime.js';
import type { OnnxPlatform } from './platform.js';

export const NODE_ONNX_RUNTIME: OnnxPlatform = {
  name: 'onnxruntime-node',
  load: () => importOptional('onnxruntime-node', () => import('onnxruntime-node')),
  // The CPU execution provider (onnxruntime-node's default); sequential execution, so only intra-op threads matter.
  sessionOptions: (_ort, threads) => (threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 }),
};
