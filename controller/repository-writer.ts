// Changes to the model repository that must never leave a broken model:
// a new version is written whole into a hidden temp folder beside its final
// place, synced, then renamed into place (one atomic rename); a removed
// version is renamed out of sight first, then deleted. A crash at any point
// leaves the old state or the new. Hidden folders (".tmp-…", ".del-…") are
// skipped by loadRepository and cleaned at start-up, and so are uploads in
// progress (<repo>/.uploads/*.part): a model file is streamed there, then
// moved into its version folder (one rename on the same filesystem).
//
// The copies of one registration (`--copies N`) share their files: the model
// file, and one config.json and one profile.json (written once, synced, in
// .uploads), are hard links in every copy's folder, so a copy costs its two
// folders and no file. Nothing in the repository is ever written in place
// (a later change to one copy's profile or config replaces its link by a new
// file through a rename), so a link never changes what another copy reads.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { serializeModelConfig, type ModelConfig } from '../common/model-config.js';
import type { ModelProfile } from '../common/profile.js';

const TEMP_PREFIX = '.tmp-';
const DELETE_PREFIX = '.del-';
const UPLOADS = '.uploads';

/** Where uploads are received, inside the repository so that the final move is a rename. */
export function uploadsDir(repoDir: string): string {
  return path.join(repoDir, UPLOADS);
}

export function versionDir(repoDir: string, name: string, version: number): string {
  return path.join(repoDir, name, String(version));
}

/** Writes a file and fsyncs it before returning. */
export async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await fsp.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not every platform can fsync a directory; the rename is still atomic
  }
}

export interface NewVersion {
  config: ModelConfig;
  /** The model file (already synced to disk), which becomes model.onnx; best on the repository's filesystem. */
  source: string;
  /**
   * Leave the source where it is and hardlink it (or copy it, where links are
   * refused) instead of moving it: for all but the last of `--copies N`.
   * @default false
   */
  keepSource?: boolean;
  profile?: ModelProfile;
  /** Already synced files to link as config.json and profile.json instead of writing them (SharedFiles). */
  shared?: SharedFiles;
}

/** A config.json and profile.json written once for every copy of a registration, in the uploads folder. */
export interface SharedFiles {
  config: string;
  profile?: string;
  /** Removes them from the uploads folder (the copies keep their links). */
  remove(): Promise<void>;
}

/**
 * Writes the config and profile the copies of one registration share:
 * config.json without name and version (the folders give them), synced.
 */
export async function writeSharedFiles(repoDir: string, config: ModelConfig, profile?: ModelProfile): Promise<SharedFiles> {
  const dir = uploadsDir(repoDir);
  await fsp.mkdir(dir, { recursive: true });
  const base = path.join(dir, crypto.randomBytes(8).toString('hex'));
  const { inputs, outputs, maxBatch, batchSizes, defaultSloMs } = config;
  const files = { config: `${base}.config.json`, profile: profile ? `${base}.profile.json` : undefined };
  const remove = async (): Promise<void> => {
    await fsp.rm(files.config, { force: true });
    if (files.profile) await fsp.rm(files.profile, { force: true });
  };
  try {
    await writeSynced(files.config, JSON.stringify({ inputs, outputs, maxBatch, batchSizes, defaultSloMs }, null, 2) + '\n');
    if (profile && files.profile) await writeSynced(files.profile, JSON.stringify(profile, null, 2) + '\n');
  } catch (err) {
    await remove();
    throw err;
  }
  return { config: files.config, ...(files.profile ? { profile: files.profile } : {}), remove };
}

function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Copies a file and fsyncs the copy. */
async function copySynced(from: string, to: string): Promise<void> {
  await fsp.copyFile(from, to, fs.constants.COPYFILE_EXCL);
  const fh = await fsp.open(to, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Puts `source` at `target`: a rename (or a link when kept), a copy only across filesystems. */
async function place(source: string, target: string, keep: boolean): Promise<void> {
  try {
    await (keep ? fsp.link(source, target) : fsp.rename(source, target));
  } catch (err) {
    const code = errorCode(err);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
    await copySynced(source, target);
    if (!keep) await fsp.rm(source, { force: true });
  }
}

/**
 * Writes <repo>/<name>/<version>/ atomically, its model.onnx taken from
 * `v.source`. Fails (leaving no folder behind) if that version already
 * exists. Without `keepSource` the source is moved: gone after success; after
 * a failure it may be gone too, so the caller removes whatever is left.
 * Returns the final folder.
 */
export async function writeVersion(repoDir: string, v: NewVersion, beforeRename?: () => Promise<void>): Promise<string> {
  const modelDir = path.join(repoDir, v.config.name);
  const final = versionDir(repoDir, v.config.name, v.config.version);
  await fsp.mkdir(modelDir, { recursive: true });
  const tmp = path.join(modelDir, `${TEMP_PREFIX}${v.config.version}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  await fsp.mkdir(tmp);
  try {
    await place(v.source, path.join(tmp, 'model.onnx'), v.keepSource ?? false);
    if (v.shared) await place(v.shared.config, path.join(tmp, 'config.json'), true);
    else await writeSynced(path.join(tmp, 'config.json'), serializeModelConfig(v.config));
    if (v.shared?.profile) await place(v.shared.profile, path.join(tmp, 'profile.json'), true);
    else if (v.profile) await writeSynced(path.join(tmp, 'profile.json'), JSON.stringify(v.profile, null, 2) + '\n');
    await syncDir(tmp);
    await beforeRename?.();
    if (fs.existsSync(final)) throw new Error(`${final} already exists`);
    await fsp.rename(tmp, final);
    await syncDir(modelDir);
    return final;
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Removes one version folder (rename out of sight, then delete); the model folder too once empty. */
export async function removeVersion(repoDir: string, name: string, version: number): Promise<void> {
  const modelDir = path.join(repoDir, name);
  const dir = versionDir(repoDir, name, version);
  if (!fs.existsSync(dir)) return;
  const gone = path.join(modelDir, `${DELETE_PREFIX}${version}-${crypto.randomBytes(4).toString('hex')}`);
  await fsp.rename(dir, gone);
  await syncDir(modelDir);
  await fsp.rm(gone, { recursive: true, force: true });
  const left = await fsp.readdir(modelDir);
  if (left.length === 0) await fsp.rmdir(modelDir).catch(() => undefined);
}

/** Deletes temp and half-deleted folders and unfinished uploads a crash left behind. Returns what it removed. */
export async function cleanStaleFolders(repoDir: string): Promise<string[]> {
  const removed: string[] = [];
  if (!fs.existsSync(repoDir)) return removed;
  const uploads = uploadsDir(repoDir);
  if (fs.existsSync(uploads)) {
    for (const entry of await fsp.readdir(uploads)) {
      const p = path.join(uploads, entry);
      await fsp.rm(p, { recursive: true, force: true });
      removed.push(p);
    }
  }
  for (const name of await fsp.readdir(repoDir)) {
    const modelDir = path.join(repoDir, name);
    if (name.startsWith('.') || !(await fsp.stat(modelDir)).isDirectory()) continue;
    for (const entry of await fsp.readdir(modelDir)) {
      if (!entry.startsWith(TEMP_PREFIX) && !entry.startsWith(DELETE_PREFIX)) continue;
      const p = path.join(modelDir, entry);
      await fsp.rm(p, { recursive: true, force: true });
      removed.push(p);
    }
    if ((await fsp.readdir(modelDir)).length === 0) await fsp.rmdir(modelDir).catch(() => undefined);
  }
  return removed;
}
