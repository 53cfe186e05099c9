// RequestQueue: one model's accepted requests in deadline order, whatever
// order they arrive in.
import { describe, expect, it } from 'vitest';
import { RequestQueue } from './request-queue.js';
import type { SchedRequest } from './types.js';
import { prng } from '../../traces/random.js';

const req = (id: number, deadline: number): SchedRequest => ({ id, model: 'a@1', arrival: 0, deadline });
const ids = (rs: readonly SchedRequest[]): number[] => rs.map((r) => r.id);


describe('RequestQueue', () => {
  it('is empty to start with', () => {
    const q = new RequestQueue();
    expect(q.length).toBe(0);
    expect(q.peek()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
    expect(q.lastDeadline()).toBeUndefined();
    expect(q.take(3)).toEqual([]);
  });

  it('keeps deadline order with out-of-order inserts', () => {
    const q = new RequestQueue();
    for (const [id, d] of [[1, 50], [2, 10], [3, 30], [4, 70], [5, 20], [6, 5], [7, 60]] as const) q.insert(req(id, d));
    expect(q.length).toBe(7);
    expect(q.peek()?.id).toBe(6);
    expect(q.at(1)?.id).toBe(2);
    expect(q.lastDeadline()).toBe(70);
    expect(ids(q.drain())).toEqual([6, 2, 5, 3, 1, 7, 4]);
    expect(q.length).toBe(0);
  });

  it('keeps arrival order among equal deadlines (a retried request goes after its equals)', () => {
    const q = new RequestQueue();
    q.insert(req(1, 10));
    q.insert(req(2, 20));
    q.insert(req(3, 10));
    q.insert(req(4, 20));
    q.insert(req(5, 10));
    expect(ids(q.drain())).toEqual([1, 3, 5, 2, 4]);
  });

  it('inserts in order after the head has moved (shift, take)', () => {
    const q = new RequestQueue();
    for (let i = 1; i <= 6; i++) q.insert(req(i, i * 10));
    expect(q.shift()?.id).toBe(1);
    expect(ids(q.take(2))).toEqual([2, 3]);
    // Earlier than everything left, between, and after.
    q.insert(req(7, 35));
    q.insert(req(8, 5));
    q.insert(req(9, 55));
    expect(q.length).toBe(6);
    expect(q.peek()?.id).toBe(8);
    expect(ids(q.drain())).toEqual([8, 7, 4, 5, 9, 6]);
  });

  it('take(n) past the end returns what is there', () => {
    const q = new RequestQueue();
    q.insert(req(1, 1));
    q.insert(req(2, 2));
    expect(ids(q.take(5))).toEqual([1, 2]);
    expect(q.length).toBe(0);
    q.insert(req(3, 3));
    expect(q.peek()?.id).toBe(3);
  });

  it('stays sorted through many random inserts and removals (including compaction)', () => {
    const rand = prng(7);
    const q = new RequestQueue();
    const model: SchedRequest[] = [];
    let id = 0;
    for (let step = 0; step < 5000; step++) {
      const x = rand();
      if (x < 0.55) {
        // Mostly increasing deadlines, some out of order.
        const r = req(++id, rand() < 0.8 ? step + rand() * 10 : step - rand() * 200);
        q.insert(r);
        // Reference: stable insert after equals.
        let i = model.length;
        while (i > 0 && model[i - 1]!.deadline > r.deadline) i--;
        model.splice(i, 0, r);
      } else if (x < 0.85) {
        expect(q.shift()?.id).toBe(model.shift()?.id);
      } else {
        const n = Math.floor(rand() * 4);
        expect(ids(q.take(n))).toEqual(ids(model.splice(0, n)));
      }
      expect(q.length).toBe(model.length);
      expect(q.peek()?.id).toBe(model[0]?.id);
      expect(q.lastDeadline()).toBe(model[model.length - 1]?.deadline);
    }
    expect(ids(q.drain())).toEqual(ids(model));
  });

  it('compacts after more than 1024 removals without losing order', () => {
    const q = new RequestQueue();
    for (let i = 0; i < 3000; i++) q.insert(req(i, i));
    for (let i = 0; i < 2000; i++) expect(q.shift()?.id).toBe(i);
    q.insert(req(-1, 2500.5));
    expect(q.length).toBe(1001);
    expect(q.at(0)?.id).toBe(2000);
    const rest = ids(q.drain());
    expect(rest.indexOf(-1)).toBe(501);
    expect(rest[0]).toBe(2000);
    expect(rest[rest.length - 1]).toBe(2999);
  });
});
