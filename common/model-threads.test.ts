// The thread choice: a model's own count (config over profile), capped by the
// executor's, and the executor class its session (and its estimates) has.
import { describe, expect, it } from 'vitest';
import { parseModelConfig, serializeModelConfig } from './model-config.js';
import { classThreads, sessionClass, sessionThreads, wantedThreads } from './model-threads.js';

describe('wantedThreads', () => {
  it("is the config's count, else the profile's bestThreads, else none", () => {
    expect(wantedThreads({ threads: 3 }, { bestThreads: 1 })).toBe(3);
    expect(wantedThreads({}, { bestThreads: 2 })).toBe(2);
    expect(wantedThreads(undefined, { bestThreads: 1 })).toBe(1);
    expect(wantedThreads({}, {})).toBeUndefined();
    expect(wantedThreads(undefined, undefined)).toBeUndefined();
  });

  it('ignores counts that are not thread counts (a hand-edited profile)', () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, 257]) {
      expect(wantedThreads({ threads: bad }, undefined)).toBeUndefined();
      expect(wantedThreads(undefined, { bestThreads: bad })).toBeUndefined();
      expect(wantedThreads({ threads: bad }, { bestThreads: 2 })).toBe(2);
    }
  });
});

describe('sessionThreads', () => {
  it("is the model's count capped by the executor's budget, the budget when it wants none", () => {
    expect(sessionThreads(1, 2)).toBe(1);
    expect(sessionThreads(2, 2)).toBe(2);
    expect(sessionThreads(4, 2)).toBe(2);
    expect(sessionThreads(undefined, 2)).toBe(2);
    expect(sessionThreads(undefined, 1)).toBe(1);
  });
});

describe('classThreads and sessionClass', () => {
  it('read the thread count of the classes executorClass builds, none elsewhere', () => {
    expect(classThreads('cpu/t1')).toBe(1);
    expect(classThreads('cpu/t12')).toBe(12);
    expect(classThreads('emulated/t2')).toBe(2);
    for (const none of ['cuda', 'cpu', 'cpu/t0', 'cpu/t', 'cpu/t01', 'gpu/t2', 'cuda:0/t2', 'cpu/t2x', '']) expect(classThreads(none)).toBeUndefined();
  });

  it("give the session's class on an executor: the same device at the capped count", () => {
    expect(sessionClass('cpu/t2', 1)).toBe('cpu/t1');
    expect(sessionClass('cpu/t2', 2)).toBe('cpu/t2');
    expect(sessionClass('cpu/t2', 8)).toBe('cpu/t2');
    expect(sessionClass('cpu/t4', 3)).toBe('cpu/t3');
    expect(sessionClass('emulated/t2', 1)).toBe('emulated/t1');
    expect(sessionClass('cpu/t2', undefined)).toBe('cpu/t2');
    expect(sessionClass('cuda', 1)).toBe('cuda');
  });
});

describe("config.json's threads", () => {
  const raw = { inputs: [{ name: 'x', dtype: 'float32', shape: [4] }] };

  it('is optional, kept when given and written back', () => {
    expect(parseModelConfig(raw, 'c', 'm', 1).threads).toBeUndefined();
    expect(serializeModelConfig(parseModelConfig(raw, 'c', 'm', 1))).not.toContain('threads');
    const c = parseModelConfig({ ...raw, threads: 2 }, 'c', 'm', 1);
    expect(c.threads).toBe(2);
    expect(parseModelConfig(JSON.parse(serializeModelConfig(c)), 'c', 'm', 1).threads).toBe(2);
  });

  it('refuses what is not a thread count, saying what is', () => {
    for (const bad of [0, -2, 1.5, '2', null, 1000]) {
      expect(() => parseModelConfig({ ...raw, threads: bad }, 'm/1/config.json', 'm', 1)).toThrow(/m\/1\/config.json: threads must be an integer from 1 to 256/);
    }
  });
});
