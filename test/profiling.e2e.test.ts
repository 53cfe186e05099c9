// A model seen for the first time is profiled on a real executor before it is
// served, and the profile is stored beside it in the repository.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startController, type ControllerHandle } from '../controller/controller.js';
import { ensureDefaultRepository } from '../controller/default-repository.js';
import { createLogger } from '../common/log.js';
import { parseProfile } from '../common/profile.js';

describe('profiling on first sight', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-profile-'));
  let controller: ControllerHandle | undefined;

  afterAll(async () => {
    await controller?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('measures exec time per batch size, load time and memory, stores them, and seeds the estimates', async () => {
    const repo = path.join(root, 'models');
    await ensureDefaultRepository(repo, ['cls']);
    const profilePath = path.join(repo, 'cls', '1', 'profile.json');
    fs.rmSync(profilePath);
    // A broken model folder beside it is skipped, not fatal.
    fs.mkdirSync(path.join(repo, 'broken', '1'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'broken', '1', 'model.onnx'), 'not onnx');
    fs.writeFileSync(path.join(repo, 'broken', '1', 'config.json'), JSON.stringify({ inputs: [{ name: 'x', dtype: 'float32', shape: [4] }] }));

    controller = await startController({ port: 0, host: '127.0.0.1', repoDir: repo, profileIterations: 5, logger: createLogger('test', 'silent') });
    expect(fs.existsSync(profilePath)).toBe(true);
    const profile = parseProfile(JSON.parse(fs.readFileSync(profilePath, 'utf8')));
    expect(profile).toBeDefined();
    const cls = profile!.classes['cpu/t1']!;
    expect(cls.batches.map((b) => b.batch)).toEqual([1, 2, 4, 8, 16]);
    for (const b of cls.batches) {
      expect(b.iterations).toBe(5);
      expect(b.p50Ms).toBeGreaterThan(0);
      expect(b.p99Ms).toBeGreaterThanOrEqual(b.p50Ms);
    }
    // Batch 16 does more work than batch 1.
    expect(cls.batches[4]!.p50Ms).toBeGreaterThan(cls.batches[0]!.p50Ms);
    expect(cls.loadMs).toBeGreaterThan(0);
    expect(profile!.memoryBytes).toBeGreaterThanOrEqual(fs.statSync(path.join(repo, 'cls', '1', 'model.onnx')).size);
    expect(controller.estimates.exec('cls@1', 4, 'cpu/t1')).toBe(cls.batches[2]!.p99Ms);
    expect(controller.core.registry.all().map((m) => m.key)).toEqual(['cls@1']);
  });
});
