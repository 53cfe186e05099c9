// ClusterStatus and ListModels for thousands of models: one page at a time
// (every model when no page size is asked, as clients from before paging get),
// brief pages without the estimates tables, a summary of every model with
// each page, and a token no page ended with refused.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import type { ModelProfile } from '../common/profile.js';
import { buildClusterStatus, listModels } from './admin-status.js';
import { ModelRegistry } from './model-registry.js';
import { Estimates } from './scheduler/estimates.js';
import { ServingCore } from './serving-core.js';

const profile: ModelProfile = {
  model: 'c-0@1 (+299 copies)',
  sha256: 'a'.repeat(64),
  measuredAt: '',
  host: '',
  memoryBytes: 1000,
  classes: { 'cpu/t1': { cls: 'cpu/t1', threads: 1, loadMs: 5, batches: [1, 2].map((batch) => ({ batch, iterations: 5, meanMs: batch, p50Ms: batch, p99Ms: batch * 1.2, maxMs: batch * 1.3 })) } },
};

function setup(n: number) {
  const clock = new ManualClock(1000);
  const registry = new ModelRegistry();
  const estimates = new Estimates({ unknownExecMs: 10, unknownLoadMs: 50, clock });
  const core = new ServingCore({ clock, registry, estimates, log: createLogger('test', 'silent') });
  for (let i = 0; i < n; i++) {
    const name = `c-${i}`;
    const m = registry.add({
      key: `${name}@1`,
      config: { name, version: 1, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [], maxBatch: 2, batchSizes: [1, 2], defaultSloMs: 100 },
      dir: '',
      file: '',
      size: 600,
      sha256: profile.sha256,
      profile,
    });
    estimates.seed(m.key, profile);
    core.addModel(m);
  }
  return { core, estimates, clock };
}

describe('ClusterStatus and ListModels pages', () => {
  it('answers every model when no page size is asked (clients from before paging)', () => {
    const { core, estimates } = setup(300);
    const st = buildClusterStatus(core, estimates, 2000, 1000);
    expect(st.models).toHaveLength(300);
    expect(st.nextPageToken).toBe('');
    expect(st.models![0]!.estimates).toHaveLength(2);
    expect(listModels(core, estimates).models).toHaveLength(300);
  });

  it('pages through every model, each page with the summary of all', () => {
    const { core, estimates } = setup(300);
    const keys: string[] = [];
    let token = '';
    for (;;) {
      const st = buildClusterStatus(core, estimates, 2000, 1000, { pageSize: 128, pageToken: token });
      expect(st.models!.length).toBeLessThanOrEqual(128);
      expect(st.modelSummary).toMatchObject({ models: 300, names: 300, loaded: 0, queued: 0, distinctFiles: 1, distinctBytes: 600 });
      keys.push(...st.models!.map((m) => `${m.name}@${m.version}`));
      if (!st.nextPageToken) break;
      token = st.nextPageToken;
    }
    expect(keys).toEqual(core.registry.all().map((m) => m.key));
  });

  it('a brief page leaves the estimates out and keeps the rest', () => {
    const { core, estimates } = setup(3);
    const brief = listModels(core, estimates, { brief: true, pageSize: 2 });
    expect(brief.models!.map((m) => m.estimates)).toEqual([[], []]);
    expect(brief.models![0]).toMatchObject({ name: 'c-0', maxBatch: 2, sizeBytes: 600, memoryBytes: 1000 });
    expect(brief).toMatchObject({ total: 3, nextPageToken: 'c-1@1' });
    expect(JSON.stringify(brief).length).toBeLessThan(JSON.stringify(listModels(core, estimates, { pageSize: 2 })).length);
  });

  it('ListModels filters by name', () => {
    const { core, estimates } = setup(30);
    expect(listModels(core, estimates, { name: 'c-7' }).models!.map((m) => m.name)).toEqual(['c-7']);
  });

  it('refuses a page token no page could have ended with', () => {
    const { core, estimates } = setup(1);
    expect(() => listModels(core, estimates, { pageToken: 'x'.repeat(1000) })).toThrow(/page_token/);
  });
});
