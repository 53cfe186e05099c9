// Which sessions a joining worker keeps (adoptedSessions): registered models
// only, on threads its executor has, each once, and no more than the cap of
// a hostile list.
import { describe, expect, it } from 'vitest';
import type { ExecutorInfo__Output } from '../common/wire.js';
import type { ModelRegistry } from './model-registry.js';
import { adoptedSessions, MAX_ADOPTED_PER_EXECUTOR } from './worker-membership.js';

const registered = new Set(['det@1', 'cls@1']);
const registry = { get: (key: string) => (registered.has(key) ? { key } : undefined) } as unknown as ModelRegistry;

function executor(index: number, lanes: number, loaded: [string, number][]): ExecutorInfo__Output {
  return { index, device: 'cpu', threads: 2, memoryBytes: 2 ** 30, lanes, loaded: loaded.map(([modelKey, lane]) => ({ modelKey, lane, memoryBytes: 1000 + lane })) };
}

describe('adoptedSessions', () => {
  it('keeps registered models on lanes the executor has, each once per executor', () => {
    const got = adoptedSessions(
      [
        executor(0, 2, [['det@1', 0], ['gone@1', 0], ['cls@1', 1], ['det@1', 1]]),
        executor(1, 1, [['cls@1', 0], ['det@1', 1]]),
      ],
      registry,
    );
    expect(got).toEqual([
      { executor: 0, modelKey: 'det@1', lane: 0, memoryBytes: 1000 },
      { executor: 0, modelKey: 'cls@1', lane: 1, memoryBytes: 1001 },
      { executor: 1, modelKey: 'cls@1', lane: 0, memoryBytes: 1000 },
    ]);
  });

  it('reads an executor index once, and a list no further than the cap', () => {
    const long = Array.from({ length: MAX_ADOPTED_PER_EXECUTOR + 5 }, (): [string, number] => ['det@1', 0]);
    long[MAX_ADOPTED_PER_EXECUTOR + 2] = ['cls@1', 0]; // past the cap: not read
    const got = adoptedSessions([executor(3, 2, long), executor(3, 2, [['cls@1', 0]])], registry);
    expect(got).toEqual([{ executor: 3, modelKey: 'det@1', lane: 0, memoryBytes: 1000 }]);
  });
});
