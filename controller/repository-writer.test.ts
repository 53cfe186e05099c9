// The repository's atomic writes: a crash between writing a version and
// renaming it into place leaves a hidden temp folder that loadRepository
// skips and cleanStaleFolders removes (so are unfinished uploads); an
// existing version is never overwritten; removal leaves nothing behind. The
// model file is moved in from where it was uploaded, or linked for copies.
// Version folders follow the one version rule (1..MAX_MODEL_VERSION). The
// copies of one registration share model file, config and profile through
// hard links, load with their own names, and part ways when one is changed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_MODEL_VERSION, type ModelConfig } from '../common/model-config.js';
import { sha256 } from '../common/hash.js';
import type { ModelProfile } from '../common/profile.js';
import { loadRepository, saveProfile } from './model-repository.js';
import { cleanStaleFolders, removeVersion, uploadsDir, writeSharedFiles, writeVersion } from './repository-writer.js';

const config = (version: number): ModelConfig => ({
  name: 'm',
  version,
  inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
  outputs: [],
  maxBatch: 1,
  batchSizes: [1],
  defaultSloMs: 100,
});

const dirs: string[] = [];
const repo = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-repo-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** An uploaded file in the repository's uploads folder, as the receiver leaves it. */
function uploaded(dir: string, bytes: number[]): string {
  fs.mkdirSync(uploadsDir(dir), { recursive: true });
  const file = path.join(uploadsDir(dir), `${bytes.join('-')}-${Math.random().toString(16).slice(2)}.part`);
  fs.writeFileSync(file, new Uint8Array(bytes));
  return file;
}

describe('repository writer', () => {
  it('a crash before the rename leaves the old state, and start-up cleans the leftovers', async () => {
    const dir = repo();
    await writeVersion(dir, { config: config(1), source: uploaded(dir, [1, 2, 3]) });
    // The "crash": the write never reaches its rename.
    let reachedRename!: () => void;
    const atRename = new Promise<void>((r) => (reachedRename = r));
    void writeVersion(dir, { config: config(2), source: uploaded(dir, [4, 5, 6]) }, () => {
      reachedRename();
      return new Promise<void>(() => undefined);
    });
    await atRename;
    // And an upload that was still arriving.
    const partial = uploaded(dir, [7]);
    const hidden = fs.readdirSync(path.join(dir, 'm')).filter((n) => n.startsWith('.tmp-'));
    expect(hidden).toHaveLength(1);
    const { models, problems } = await loadRepository(dir);
    expect(models.map((m) => m.key)).toEqual(['m@1']);
    expect(problems).toEqual([]);
    const removed = await cleanStaleFolders(dir);
    expect(removed.map((p) => path.basename(p)).sort()).toEqual([path.basename(partial), ...hidden].sort());
    expect(fs.readdirSync(path.join(dir, 'm'))).toEqual(['1']);
    expect(fs.readdirSync(uploadsDir(dir))).toEqual([]);
  });

  it('moves the uploaded file into place, and the loaded model points at it with its size and SHA-256', async () => {
    const dir = repo();
    const source = uploaded(dir, [1, 2, 3]);
    const final = await writeVersion(dir, { config: config(1), source });
    expect(fs.existsSync(source)).toBe(false);
    expect([...fs.readFileSync(path.join(final, 'model.onnx'))]).toEqual([1, 2, 3]);
    const { models } = await loadRepository(dir);
    expect(models.map((m) => ({ key: m.key, file: m.file, size: m.size, sha256: m.sha256 }))).toEqual([
      { key: 'm@1', file: path.join(final, 'model.onnx'), size: 3, sha256: sha256(new Uint8Array([1, 2, 3])) },
    ]);
    expect(models[0]).not.toHaveProperty('bytes');
  });

  it('keeps the source when asked (copies), and each copy survives the removal of another', async () => {
    const dir = repo();
    const source = uploaded(dir, [9, 8]);
    const first = await writeVersion(dir, { config: config(1), source, keepSource: true });
    expect(fs.existsSync(source)).toBe(true);
    const second = await writeVersion(dir, { config: config(2), source });
    expect(fs.existsSync(source)).toBe(false);
    await removeVersion(dir, 'm', 1);
    expect(fs.existsSync(first)).toBe(false);
    expect([...fs.readFileSync(path.join(second, 'model.onnx'))]).toEqual([9, 8]);
  });

  it('loads version folders up to MAX_MODEL_VERSION and reports those beyond it', async () => {
    const dir = repo();
    await writeVersion(dir, { config: config(MAX_MODEL_VERSION), source: uploaded(dir, [1]) });
    fs.cpSync(path.join(dir, 'm', String(MAX_MODEL_VERSION)), path.join(dir, 'm', String(MAX_MODEL_VERSION + 1)), { recursive: true });
    fs.cpSync(path.join(dir, 'm', String(MAX_MODEL_VERSION)), path.join(dir, 'm', '007'), { recursive: true });
    const { models, problems } = await loadRepository(dir);
    expect(models.map((m) => m.key)).toEqual([`m@${MAX_MODEL_VERSION}`]);
    expect(problems.map((p) => [path.basename(p.path), p.message]).sort()).toEqual([
      ['007', 'version folders must be integers from 1 to 999999999'],
      ['1000000000', 'version folders must be integers from 1 to 999999999'],
    ]);
  });

  it('never overwrites an existing version and leaves no temp folder when it refuses', async () => {
    const dir = repo();
    await writeVersion(dir, { config: config(1), source: uploaded(dir, [1]) });
    await expect(writeVersion(dir, { config: config(1), source: uploaded(dir, [2]) })).rejects.toThrow(/already exists/);
    expect(fs.readdirSync(path.join(dir, 'm'))).toEqual(['1']);
    expect([...fs.readFileSync(path.join(dir, 'm', '1', 'model.onnx'))]).toEqual([1]);
  });

  it('removes a version, then the model folder once empty', async () => {
    const dir = repo();
    await writeVersion(dir, { config: config(1), source: uploaded(dir, [1]) });
    await writeVersion(dir, { config: config(2), source: uploaded(dir, [2]) });
    await removeVersion(dir, 'm', 1);
    expect(fs.readdirSync(path.join(dir, 'm'))).toEqual(['2']);
    await removeVersion(dir, 'm', 2);
    expect(fs.existsSync(path.join(dir, 'm'))).toBe(false);
  });
  it('copies share one model file, config.json and profile.json; each loads under its own folder name; changing one leaves the others', async () => {
    const dir = repo();
    const source = uploaded(dir, [5, 6, 7]);
    const profile: ModelProfile = { model: 'c-0@1 (+2 copies)', sha256: sha256(new Uint8Array([5, 6, 7])), measuredAt: 't', host: 'h', memoryBytes: 3, classes: {} };
    const shared = await writeSharedFiles(dir, { ...config(1), name: 'c-0' }, profile);
    const names = ['c-0', 'c-1', 'c-2'];
    const finals: string[] = [];
    for (const [i, name] of names.entries()) {
      finals.push(await writeVersion(dir, { config: { ...config(1), name }, source, keepSource: i < names.length - 1, profile, shared }));
    }
    await shared.remove();
    expect(fs.readdirSync(uploadsDir(dir))).toEqual([]);
    for (const file of ['model.onnx', 'config.json', 'profile.json']) {
      const inodes = new Set(finals.map((f) => fs.statSync(path.join(f, file)).ino));
      expect(inodes.size).toBe(1);
    }
    // The shared config names no model: the folders do.
    expect(JSON.parse(fs.readFileSync(path.join(finals[0]!, 'config.json'), 'utf8'))).not.toHaveProperty('name');
    const { models, problems } = await loadRepository(dir);
    expect(problems).toEqual([]);
    expect(models.map((m) => [m.key, m.config.name, m.config.version, m.config.maxBatch])).toEqual(names.map((n) => [`${n}@1`, n, 1, 1]));
    // Read once, shared in memory.
    expect(models[0]!.profile).toEqual(profile);
    expect(models[1]!.profile).toBe(models[0]!.profile);
    // A new profile for one copy replaces its link; the others keep theirs.
    await saveProfile(models[1]!, { ...profile, memoryBytes: 99 });
    const again = await loadRepository(dir);
    expect(again.models.map((m) => m.profile?.memoryBytes)).toEqual([3, 99, 3]);
    await removeVersion(dir, 'c-0', 1);
    expect([...fs.readFileSync(path.join(finals[2]!, 'model.onnx'))]).toEqual([5, 6, 7]);
  });

  it('hashes a file shared by hard links once, and two different files each', async () => {
    const dir = repo();
    const a = uploaded(dir, [1, 1]);
    await writeVersion(dir, { config: { ...config(1), name: 'a' }, source: a, keepSource: true });
    await writeVersion(dir, { config: { ...config(1), name: 'b' }, source: a });
    await writeVersion(dir, { config: { ...config(1), name: 'c' }, source: uploaded(dir, [2, 2]) });
    const { models } = await loadRepository(dir);
    expect(models.map((m) => m.sha256)).toEqual([sha256(new Uint8Array([1, 1])), sha256(new Uint8Array([1, 1])), sha256(new Uint8Array([2, 2]))]);
    expect(models.map((m) => m.file)).toEqual(['a', 'b', 'c'].map((n) => path.join(dir, n, '1', 'model.onnx')));
  });
});
