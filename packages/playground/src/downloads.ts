// The files of a fine-tuned model, as links a person clicks: TF.js' format (model.json, which
// names its weights file, and the weights; what `model.save('downloads://stem')` writes) and a
// PyTorch state dict in safetensors (`saveTorchWeights`, timm's / torchvision's names).
import * as tf from '@tensorflow/tfjs';
import { saveTorchWeights } from '@netblocks/models';

/** The model's TF.js files: `stem.json` (topology, user-defined metadata, manifest) and `stem.weights.bin`. */
export async function tfjsFiles(model: tf.LayersModel, stem: string): Promise<{ json: Blob; weights: Blob; weightsName: string }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved?.modelTopology === undefined || saved.weightSpecs === undefined || saved.weightData === undefined) {
    throw new Error(`saving ${model.name} gave no topology or weights`);
  }
  const weightsName = `${stem}.weights.bin`;
  // The JSON TF.js' browser downloads write (io.getModelJSONForModelArtifacts, not exported).
  const json: tf.io.ModelJSON = {
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: [`./${weightsName}`], weights: saved.weightSpecs }],
    ...(saved.format ? { format: saved.format } : {}),
    ...(saved.generatedBy ? { generatedBy: saved.generatedBy } : {}),
    ...(saved.convertedBy ? { convertedBy: saved.convertedBy } : {}),
    ...(saved.userDefinedMetadata ? { userDefinedMetadata: saved.userDefinedMetadata } : {}),
  };
  const data = saved.weightData;
  return {
    json: new Blob([JSON.stringify(json)], { type: 'application/json' }),
    weights: new Blob(Array.isArray(data) ? data : [data], { type: 'application/octet-stream' }),
    weightsName,
  };
}

/** The model's weights as safetensors bytes with PyTorch's names. */
export function safetensorsFile(model: tf.LayersModel): Blob {
  return new Blob([saveTorchWeights(model) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
}

/** Points `link` at `blob`, saved as `fileName`, and shows it with the size. */
export function offerDownload(link: HTMLAnchorElement, blob: Blob, fileName: string): void {
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
  link.textContent = `${fileName} (${(blob.size / 1e6).toFixed(2)} MB)`;
  link.hidden = false;
}
