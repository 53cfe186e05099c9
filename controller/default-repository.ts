// The default model repository, built on first run from the bundled PaddleOCR
// models (profiles/bundled-models.ts); the fixed per-item shapes chosen there
// are recorded in each config.json. Profiles measured on the development
// machine ship in profiles/bundled/ and are copied beside each model when they
// match its bytes, so the first start does not spend seconds profiling; a
// mismatch is profiled on first sight.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { serializeModelConfig } from '../common/model-config.js';
import { BUNDLED_MODELS, bundledModelsDir, bundledProfilesDir } from '../profiles/bundled-models.js';
import { writeFileAtomic } from './model-repository.js';

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
