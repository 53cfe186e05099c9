// The model repository on disk, Triton-like:
//   <repo>/<model>/<version>/model.onnx
//   <repo>/<model>/<version>/config.json   (inputs, max batch, default SLO)
//   <repo>/<model>/<version>/profile.json  (written after profiling)
// Everything is written atomically (temp file + rename). A folder that does
// not parse is reported and skipped; it never stops the others from serving.
// The controller keeps no model bytes in memory: a model is its file's path,
// size and SHA-256 (hashed as a stream at load), and whoever needs the bytes
// (workers, the profiler) reads the file.
//
// Copies share files through hard links (repository-writer.ts): a file is
// hashed and a profile parsed once per file on disk, not once per copy, and
// the copies share the parsed profile in memory.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { MODEL_NAME_PATTERN, MODEL_VERSION_RANGE, modelKey, parseModelConfig, parseModelVersion, type ModelConfig } from '../common/model-config.js';
import { parseProfile, type ModelProfile } from '../common/profile.js';
import { describeFile, type ModelFile } from '../profiles/profiler.js';
import { writeSynced } from './repository-writer.js';

export interface RepoModel extends ModelFile {
  key: string;
  config: ModelConfig;
  /** The version folder; `file` is its model.onnx. */
  dir: string;
  profile?: ModelProfile;
}

export interface RepoProblem {
  path: string;
  message: string;
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  await writeSynced(tmp, data);
  await fsp.rename(tmp, file);
}

/** What one loadRepository has read, by file identity (device, inode, size, times): hard links are read once. */
class ReadOnce {
  private readonly hashes = new Map<string, Promise<ModelFile>>();
  private readonly profiles = new Map<string, Promise<ModelProfile | undefined>>();

  private static async identity(file: string): Promise<string> {
    const st = await fsp.stat(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  }

  async describe(file: string): Promise<ModelFile> {
    const id = await ReadOnce.identity(file);
    let p = this.hashes.get(id);
    if (!p) {
      p = describeFile(file);
      this.hashes.set(id, p);
    }
    const { size, sha256 } = await p;
    return { file, size, sha256 };
  }

  /** The parsed profile.json, or undefined if it does not parse. */
  async profile(file: string): Promise<ModelProfile | undefined> {
    const id = await ReadOnce.identity(file);
    let p = this.profiles.get(id);
    if (!p) {
      p = fsp.readFile(file, 'utf8').then(
        (text) => {
          try {
            return parseProfile(JSON.parse(text));
          } catch {
            return undefined; // a broken profile is measured again
          }
        },
        () => undefined,
      );
      this.profiles.set(id, p);
    }
    return p;
  }
}

/** Reads every model version in the repository. */
export async function loadRepository(dir: string): Promise<{ models: RepoModel[]; problems: RepoProblem[] }> {
  const models: RepoModel[] = [];
  const problems: RepoProblem[] = [];
  const once = new ReadOnce();
  if (!fs.existsSync(dir)) return { models, problems: [{ path: dir, message: 'repository folder does not exist' }] };
  for (const name of (await fsp.readdir(dir)).sort()) {
    const modelDir = path.join(dir, name);
    if (name.startsWith('.') || !(await fsp.stat(modelDir)).isDirectory()) continue;
    if (!MODEL_NAME_PATTERN.test(name)) {
      problems.push({ path: modelDir, message: `folder name is not a valid model name (${MODEL_NAME_PATTERN})` });
      continue;
    }
    for (const v of (await fsp.readdir(modelDir)).sort()) {
      const versionDir = path.join(modelDir, v);
      if (v.startsWith('.') || !(await fsp.stat(versionDir)).isDirectory()) continue;
      const version = parseModelVersion(v);
      if (version === undefined) {
        problems.push({ path: versionDir, message: `version folders must be integers ${MODEL_VERSION_RANGE}` });
        continue;
      }
      try {
        models.push(await readVersion(versionDir, name, version, once));
      } catch (err) {
        problems.push({ path: versionDir, message: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return { models, problems };
}

async function readVersion(dir: string, name: string, version: number, once: ReadOnce): Promise<RepoModel> {
  const configPath = path.join(dir, 'config.json');
  const onnxPath = path.join(dir, 'model.onnx');
  if (!fs.existsSync(onnxPath)) throw new Error('model.onnx is missing');
  if (!fs.existsSync(configPath)) throw new Error('config.json is missing');
  let raw: unknown;
  try {
    raw = JSON.parse(await fsp.readFile(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`config.json is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const config = parseModelConfig(raw, configPath, name, version);
  const { size, sha256 } = await once.describe(onnxPath);
  let profile: ModelProfile | undefined;
  const profilePath = path.join(dir, 'profile.json');
  if (fs.existsSync(profilePath)) {
    const p = await once.profile(profilePath);
    if (p && p.sha256 === sha256) profile = p;
  }
  return { key: modelKey(name, version), config, dir, file: onnxPath, size, sha256, profile };
}

export async function saveProfile(model: RepoModel, profile: ModelProfile): Promise<void> {
  await writeFileAtomic(path.join(model.dir, 'profile.json'), JSON.stringify(profile, null, 2) + '\n');
  model.profile = profile;
}

export async function saveConfig(model: RepoModel, json: string): Promise<void> {
  await writeFileAtomic(path.join(model.dir, 'config.json'), json);
}
