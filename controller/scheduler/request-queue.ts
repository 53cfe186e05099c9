// One model's queue of accepted requests, kept in deadline order. Arrivals
// mostly come in deadline order (same SLO), so insertion is an append; a
// retried or shorter-SLO request is placed by binary search.
import type { SchedRequest } from './types.js';

export class RequestQueue {
  private items: SchedRequest[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  insert(r: SchedRequest): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (this.length === 0 || (last !== undefined && last.deadline <= r.deadline)) {
      items.push(r);
      return;
    }
    let lo = this.head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid]!.deadline <= r.deadline) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, r);
  }

  peek(): SchedRequest | undefined {
    return this.items[this.head];
  }

  /** The i-th request in deadline order. */
  at(i: number): SchedRequest | undefined {
    return this.items[this.head + i];
  }

  /** The requests in deadline order, left in the queue. */
  *[Symbol.iterator](): IterableIterator<SchedRequest> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }

  shift(): SchedRequest | undefined {
    const r = this.items[this.head];
    if (r === undefined) return undefined;
    this.items[this.head] = undefined as unknown as SchedRequest;
    this.head++;
    this.compact();
    return r;
  }

  /** Removes and returns the first n requests. */
  take(n: number): SchedRequest[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    this.compact();
    return out;
  }

  /** Removes everything, returning it in deadline order. */
  drain(): SchedRequest[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }

  /** The latest deadline queued. */
  lastDeadline(): number | undefined {
    return this.length === 0 ? undefined : this.items[this.items.length - 1]!.deadline;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
