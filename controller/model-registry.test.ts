// The registry in key order, a page at a time: pages cover every model once,
// in order, while models come and go between pages; a name filter; the
// distinct files behind thousands of copies.
import { describe, expect, it } from 'vitest';
import type { RepoModel } from './model-repository.js';
import { ModelRegistry } from './model-registry.js';

function model(name: string, version = 1, sha256 = 'a'.repeat(64), size = 100): RepoModel {
  return {
    key: `${name}@${version}`,
    config: { name, version, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [], maxBatch: 1, batchSizes: [1], defaultSloMs: 100 },
    dir: '',
    file: '',
    size,
    sha256,
  };
}

function registryOf(n: number): ModelRegistry {
  const r = new ModelRegistry();
  // Added out of order: the pages are in key order whatever the order of registration.
  for (let i = n - 1; i >= 0; i--) r.add(model(`c-${i}`));
  return r;
}

describe('ModelRegistry pages', () => {
  it('pages through every model once, in key order, ending with an empty token', () => {
    const r = registryOf(25);
    const seen: string[] = [];
    let after = '';
    let pages = 0;
    do {
      const p = r.page({ after, limit: 10 });
      expect(p.total).toBe(25);
      expect(p.models.length).toBeLessThanOrEqual(10);
      seen.push(...p.models.map((m) => m.key));
      after = p.next;
      pages++;
    } while (after !== '');
    expect(pages).toBe(3);
    expect(seen).toEqual(r.all().map((m) => m.key));
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(25);
  });

  it('a page size of 0 is every model; the last page has no next token', () => {
    const r = registryOf(5);
    expect(r.page({}).models).toHaveLength(5);
    expect(r.page({}).next).toBe('');
    expect(r.page({ limit: 5 }).next).toBe('');
    expect(r.page({ limit: 4 }).next).toBe(r.all()[3]!.key);
  });

  it('keeps its place when models are added or removed between pages', () => {
    const r = registryOf(10);
    const first = r.page({ limit: 4 });
    r.remove(first.next); // the model the token names is gone
    r.remove('c-9@1');
    r.add(model('c-0a')); // sorts before the token: not on a later page
    r.add(model('zz')); // sorts after: on a later page
    const rest = r.page({ after: first.next });
    expect(rest.models.map((m) => m.key)).toEqual(r.all().map((m) => m.key).filter((k) => k > first.next));
    expect(rest.models.map((m) => m.key)).toContain('zz@1');
    expect(rest.models.map((m) => m.key)).not.toContain('c-0a@1');
  });

  it('filters by name', () => {
    const r = registryOf(3);
    r.add(model('c-1', 2));
    expect(r.page({ name: 'c-1' }).models.map((m) => m.key)).toEqual(['c-1@1', 'c-1@2']);
    expect(r.page({ name: 'c-1', limit: 1 })).toMatchObject({ next: 'c-1@1', total: 2 });
    expect(r.page({ name: 'nope' })).toEqual({ models: [], next: '', total: 0 });
  });

  it('counts distinct files once however many copies share them', () => {
    const r = registryOf(1000);
    r.add(model('other', 1, 'b'.repeat(64), 50));
    expect(r.size).toBe(1001);
    expect(r.names).toBe(1001);
    expect(r.contents()).toEqual({ files: 2, bytes: 150 });
    r.remove('other@1');
    expect(r.contents()).toEqual({ files: 1, bytes: 100 });
  });

  it('adding a key again replaces it rather than listing it twice', () => {
    const r = registryOf(2);
    r.add(model('c-0'));
    expect(r.versions('c-0')).toHaveLength(1);
    expect(r.size).toBe(2);
    expect(r.contents().files).toBe(1);
  });
});
