// The repository's atomic writes: a crash between writing a version and
// renaming it into place leaves a hidden temp folder that loadRepository
// skips and cleanStaleFolders removes (so are unfinished uploads); an
// existing version is never overwritten; removal leaves nothing behind. The
// model file is moved in from where it was uploaded, or linked for copies.
// Version folders follow the one version rule (1..MAX_MODEL_VERSION).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_MODEL_VERSION, type ModelConfig } from '../common/model-config.js';
import { sha256 } from '../common/hash.js';
import { loadRepository } from './model-repository.js';
import { cleanStaleFolders, removeVersion, uploadsDir, writeVersion } from './repository-writer.js';

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
});
