// Where the pool's workers load the model from: the caller's directory, or, for a registered name,
// a model built once here and saved to a temp directory, so that every worker has the same weights.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { saveModel } from '@netblocks/core/node';
import { closestModelNames, createModel, listModels } from '../registry.js';
import type { ModelOptions } from '../types.js';

export interface ModelDirectory {
  dir: string;
  /** Removes the directory when the pool made it; does nothing for the caller's own directory. */
  release(): Promise<void>;
}

async function isDirectory(candidate: string): Promise<boolean | undefined> {
  try {
    return (await stat(candidate)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Builds the named model, saves it to a fresh temp directory and frees it on this thread. */
async function saveRegisteredModel(name: string, modelOptions: ModelOptions): Promise<ModelDirectory> {
  const temp = await mkdtemp(path.join(tmpdir(), 'netblocks-pool-'));
  const release = () => rm(temp, { recursive: true, force: true });
  const model = createModel(name, modelOptions);
  try {
    await saveModel(model, path.join(temp, 'model'));
  } catch (error) {
    await release();
    throw error;
  } finally {
    model.dispose();
  }
  return { dir: path.join(temp, 'model'), release };
}

/** A directory holding the model `modelDirOrName` names (a directory wins over a registered name). */
export async function modelDirectoryFor(modelDirOrName: string, modelOptions: ModelOptions | undefined): Promise<ModelDirectory> {
  if (typeof modelDirOrName !== 'string' || modelDirOrName === '') {
    throw new Error(`createInferencePool: modelDirOrName must be a model directory or a registered model name (got ${JSON.stringify(modelDirOrName)})`);
  }
  const found = await isDirectory(modelDirOrName);
  if (found === true) {
    if (modelOptions !== undefined) {
      throw new Error(`createInferencePool: modelOptions apply to a registered model name, not to the model directory ${modelDirOrName}`);
    }
    return { dir: path.resolve(modelDirOrName), release: async () => {} };
  }
  if (found === false) throw new Error(`createInferencePool: ${modelDirOrName} is a file, not a model directory`);
  if (listModels().includes(modelDirOrName)) return saveRegisteredModel(modelDirOrName, modelOptions ?? {});
  throw new Error(
    `createInferencePool: ${modelDirOrName} is neither a model directory (no such path) nor a registered model ` +
      `name (closest names: ${closestModelNames(modelDirOrName).join(', ')})`,
  );
}
