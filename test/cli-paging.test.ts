// The CLI's views of thousands of models: status with a summary of every
// model and the token of the next page, an executor holding hundreds shown
// short, a page of `models list`, and a registration of thousands of copies
// in four lines.
import { describe, expect, it } from 'vitest';
import type { ClusterStatus, ModelInfo } from '../client/client.js';
import { renderModelPage, renderRegistered } from '../cli/models-view.js';
import { renderStatusHuman, someLoaded } from '../cli/status-view.js';

function info(name: string): ModelInfo {
  return {
    name,
    version: 1,
    inputs: [{ name: 'x', dtype: 'float32', shape: [3, 48, 192] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
    maxBatch: 16,
    batchSizes: [1, 16],
    defaultSloMs: 50,
    threads: 0,
    sizeBytes: 578966,
    memoryBytes: 578966,
    loadMs: 20,
    estimates: [],
    loadedOn: [],
    requestsOk: 0,
    requestsRejected: 0,
    requestsFailed: 0,
    queued: 0,
    admissionReserveMs: 0,
  };
}

const loaded = Array.from({ length: 212 }, (_, i) => `cls-${i}@1`);
const st: ClusterStatus = {
  workers: [
    {
      id: 'w1',
      name: 'local-1',
      clockOffsetMs: 0,
      rttMs: 0.2,
      connectedForS: 3,
      draining: false,
      unresponsive: false,
      executors: [{ index: 0, device: 'cpu', threads: 1, memoryBudgetBytes: 2 ** 30, memoryUsedBytes: 2 ** 27, loaded, executorClass: 'cpu/t1', actionsCompleted: 900, bookedAheadMs: 0, loads: 400, unloads: 188, suspended: false }],
    },
  ],
  models: ['cls-0', 'cls-1', 'cls-10'].map(info),
  uptimeS: 60,
  policy: 'punctual',
  nextPageToken: 'cls-10@1',
  modelSummary: { models: 4000, names: 4000, loaded: 212, queued: 3, requestsOk: 1200, requestsRejected: 4, requestsFailed: 0, distinctFiles: 1, distinctBytes: 578966 },
};

describe('views of thousands of models', () => {
  it('status: the summary of every model, the page, and how to get the next one', () => {
    const text = renderStatusHuman(st, 'h:1');
    expect(text).toContain('models (4000 registered, 4000 names; 212 loaded; 3 queued; ok/rej/fail 1200/4/0; 1 distinct file, 565.4 KiB)');
    expect(text).toMatch(/cls-10\s+1\s+x float32\[3,48,192\]/);
    expect(text).toContain('3 of 4000 models shown; the next ones: punctual status --page-token cls-10@1');
    // 212 loaded models in one cell: the first few and the count.
    expect(text).toContain('cls-0@1, cls-1@1, cls-2@1, cls-3@1, cls-4@1, … (212)');
    expect(text).not.toContain('cls-100@1');
  });

  it('status from a controller before paging: no summary, no next page', () => {
    const { nextPageToken: _t, modelSummary: _s, ...old } = st;
    const text = renderStatusHuman({ ...old, models: [info('a')] }, 'h:1');
    expect(text).toContain('models (1)');
    expect(text).not.toContain('--page-token');
  });

  it('shows a short list of loaded models whole', () => {
    expect(someLoaded([])).toBe('-');
    expect(someLoaded(['a@1', 'b@1'])).toBe('a@1, b@1');
  });

  it('a page of models list names the next page, or says it is the last', () => {
    const page = renderModelPage({ models: ['cls-0', 'cls-1'].map(info), nextPageToken: 'cls-1@1', total: 4000 });
    expect(page).toMatch(/^NAME\s+VERSION/);
    expect(page).toContain('2 of 4000 shown; the next ones: punctual models list --limit 2 --page-token cls-1@1');
    expect(renderModelPage({ models: [info('z')], nextPageToken: '', total: 4000 })).toContain('1 of 4000 shown; the last page');
  });

  it('a registration of thousands of copies prints the first, the last and the count', () => {
    const models = Array.from({ length: 1000 }, (_, i) => info(`cls-${i}`));
    const text = renderRegistered({ models, replaced: [], readyMs: 1234 });
    expect(text.split('\n')).toEqual([
      'registered cls-0 v1: x float32[3,48,192], max batch 16, default SLO 50.0 ms',
      '… 998 more copies …',
      'registered cls-999 v1: x float32[3,48,192], max batch 16, default SLO 50.0 ms',
      '1000 models registered',
      'servable 1234 ms after the upload',
    ]);
    expect(renderRegistered({ models: models.slice(0, 2), replaced: [], readyMs: 5 }).split('\n')).toHaveLength(3);
  });
});
