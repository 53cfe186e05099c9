// The repository's atomic writes: a crash between writing a version and
// renaming it into place leaves a hidden temp folder that loadRepository
// skips and cleanStaleFolders removes; an existing version is never
// overwritten; removal leaves nothing behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../common/model-config.js';
import { loadRepository } from './model-repository.js';
import { cleanStaleFolders, removeVersion, writeVersion } from './repository-writer.js';

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

describe('repository writer', () => {
  it('a crash before the rename leaves the old state, and start-up cleans the leftovers', async () => {
    const dir = repo();
    await writeVersion(dir, { config: config(1), bytes: new Uint8Array([1, 2, 3]) });
    // The "crash": the write never reaches its rename.
    void writeVersion(dir, { config: config(2), bytes: new Uint8Array([4, 5, 6]) }, () => new Promise<void>(() => undefined));
    await new Promise((r) => setTimeout(r, 100));
    const hidden = fs.readdirSync(path.join(dir, 'm')).filter((n) => n.startsWith('.tmp-'));
    expect(hidden).toHaveLength(1);
    const { models, problems } = await loadRepository(dir);
    expect(models.map((m) => m.key)).toEqual(['m@1']);
    expect(problems).toEqual([]);
    const removed = await cleanStaleFolders(dir);
    expect(removed.map((p) => path.basename(p))).toEqual(hidden);
    expect(fs.readdirSync(path.join(dir, 'm'))).toEqual(['1']);
  });

  it('never overwrites an existing version and leaves no temp folder when it refuses', async () => {
    const dir = repo();
    await writeVersion(dir, { config: config(1), bytes: new Uint8Array([1]) });
    await expect(writeVersion(dir, { config: config(1), bytes: new Uint8Array([2]) })).rejects.toThrow(/already exists/);
    expect(fs.readdirSync(path.join(dir, 'm'))).toEqual(['1']);
    expect([...fs.readFileSync(path.join(dir, 'm', '1', 'model.onnx'))]).toEqual([1]);
  });

  it('removes a version, then the model folder once empty', async () => {
    const dir = repo();
    await writeVersion(dir, { config: config(1), bytes: new Uint8Array([1]) });
    await writeVersion(dir, { config: config(2), bytes: new Uint8Array([2]) });
    await removeVersion(dir, 'm', 1);
    expect(fs.readdirSync(path.join(dir, 'm'))).toEqual(['2']);
    await removeVersion(dir, 'm', 2);
    expect(fs.existsSync(path.join(dir, 'm'))).toBe(false);
  });
});
