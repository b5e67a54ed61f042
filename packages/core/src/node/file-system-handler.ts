import type * as tf from '@tensorflow/tfjs';
import { readModelArtifacts } from './load-model.js';
import { writeModelArtifacts } from './save-model.js';
import type { SaveModelOptions } from './save-model.js';

/**
 * A TF.js IO handler over the directory `dir`, for `model.save(handler)` and
 * `tf.loadLayersModel(handler)`: it saves as `saveModel` does (atomically, in the standard
 * `model.json` + shards layout) and loads as `loadModel` does (with the same checks).
 */
export function fileSystemHandler(dir: string, options: SaveModelOptions = {}): tf.io.IOHandler {
  return {
    save: (artifacts) => writeModelArtifacts(dir, artifacts, options),
    load: () => readModelArtifacts(dir),
  };
}
