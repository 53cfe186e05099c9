// The optimizer's bookkeeping with a scripted backend (no threads, no
// onnxruntime): one optimization per content, failures logged once and never
// used, the process's shared optimizer per executor class.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leaseSharedOptimizer, ModelOptimizer, type OptimizerBackend } from './model-optimizer.js';

/** Raw bytes in a SharedArrayBuffer, as the model cache keeps them. */
function cached(text: string): Uint8Array {
  const b = new TextEncoder().encode(text);
  const s = new Uint8Array(new SharedArrayBuffer(b.byteLength));
  s.set(b);
  return s;
}

/** A backend whose optimization reverses the bytes (or fails as told), counting its calls. */
class FakeBackend implements OptimizerBackend {
  digests = 0;
  optimizations = 0;
  closed = false;
  failDigest = false;
  failOptimize = false;

  digest(bytes: Uint8Array): Promise<string> {
    this.digests++;
    if (this.failDigest) return Promise.reject(new Error('digest broke'));
    return Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
  }

  optimize(bytes: Uint8Array): Promise<Uint8Array> {
    this.optimizations++;
    if (this.failOptimize) return Promise.reject(new Error('optimizer broke'));
    const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
    out.set([...bytes].reverse());
    return Promise.resolve(out);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function setup(): { backend: FakeBackend; optimizer: ModelOptimizer; lines: string[] } {
  const backend = new FakeBackend();
  const lines: string[] = [];
  const optimizer = new ModelOptimizer({ device: 'cpu', threads: 1, log: (l) => lines.push(l), backend });
  return { backend, optimizer, lines };
}

describe('ModelOptimizer', () => {
  it('has nothing until the optimization is done, then the optimized bytes', async () => {
    const { backend, optimizer, lines } = setup();
    const raw = cached('abc');
    const done = optimizer.prepare('m@1', raw);
    expect(optimizer.optimized(raw)).toBeUndefined();
    await done;
    expect(new TextDecoder().decode(optimizer.optimized(raw))).toBe('cba');
    expect(optimizer.heldBytes()).toBe(3);
    expect(backend.optimizations).toBe(1);
    expect(lines).toEqual([]);
  });

  it('prepares the same bytes once, and the same content in other bytes without optimizing again', async () => {
    const { backend, optimizer } = setup();
    const a = cached('same model');
    const b = cached('same model');
    await Promise.all([optimizer.prepare('a@1', a), optimizer.prepare('a@1', a)]);
    expect(backend.digests).toBe(1);
    await optimizer.prepare('b@1', b);
    expect(backend.digests).toBe(2);
    expect(backend.optimizations).toBe(1);
    expect(optimizer.optimized(b)).toBe(optimizer.optimized(a));
    expect(optimizer.heldBytes()).toBe(10);
  });

  it('tells byte ranges of one buffer apart', async () => {
    const { optimizer } = setup();
    const whole = cached('xxyy');
    const left = whole.subarray(0, 2);
    const right = whole.subarray(2, 4);
    await optimizer.prepare('l@1', left);
    expect(optimizer.optimized(left)).toBeDefined();
    expect(optimizer.optimized(right)).toBeUndefined();
    expect(optimizer.optimized(whole)).toBeUndefined();
  });

  it('logs a failed optimization once per content and leaves the raw bytes in use', async () => {
    const { backend, optimizer, lines } = setup();
    backend.failOptimize = true;
    const a = cached('broken');
    await optimizer.prepare('a@1', a);
    await optimizer.prepare('a@1', a);
    await optimizer.prepare('b@1', cached('broken'));
    expect(optimizer.optimized(a)).toBeUndefined();
    expect(backend.optimizations).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/optimizing a@1 for cpu\/1 failed \(optimizer broke\); its loads use the raw bytes/);
  });

  it('logs a failed digest and optimizes nothing', async () => {
    const { backend, optimizer, lines } = setup();
    backend.failDigest = true;
    const a = cached('x');
    await optimizer.prepare('a@1', a);
    expect(optimizer.optimized(a)).toBeUndefined();
    expect(backend.optimizations).toBe(0);
    expect(lines).toEqual(['cannot digest the bytes of a@1 to optimize it (digest broke); its loads use the raw bytes']);
  });

  it('drops optimized bytes a session could not be created from, logging once', async () => {
    const { optimizer, lines } = setup();
    const a = cached('model');
    await optimizer.prepare('a@1', a);
    expect(optimizer.optimized(a)).toBeDefined();
    optimizer.rejected('a@1', a, 'bad graph');
    optimizer.rejected('a@1', a, 'bad graph');
    expect(optimizer.optimized(a)).toBeUndefined();
    expect(optimizer.heldBytes()).toBe(0);
    expect(lines).toEqual(['the optimized model of a@1 did not load (bad graph); its loads use the raw bytes']);
    await optimizer.prepare('a@1', a); // not retried
    expect(optimizer.optimized(a)).toBeUndefined();
  });

  it('does nothing once closed, and closes its backend', async () => {
    const { backend, optimizer } = setup();
    await optimizer.close();
    expect(backend.closed).toBe(true);
    await optimizer.prepare('a@1', cached('x'));
    expect(backend.digests).toBe(0);
  });
});

describe('leaseSharedOptimizer', () => {
  const log = (): void => {};

  it('shares one optimizer per executor class while leased, a new one after the last release', async () => {
    const a = leaseSharedOptimizer({ device: 'cpu', threads: 1, log });
    const b = leaseSharedOptimizer({ device: 'cpu', threads: 1, log });
    const other = leaseSharedOptimizer({ device: 'cpu', threads: 2, log });
    expect(b.optimizer).toBe(a.optimizer);
    expect(other.optimizer).not.toBe(a.optimizer);
    expect(other.optimizer.executorClass).toBe('cpu/2');
    await a.release();
    await a.release(); // idempotent: b still holds it
    const c = leaseSharedOptimizer({ device: 'cpu', threads: 1, log });
    expect(c.optimizer).toBe(b.optimizer);
    await Promise.all([b.release(), c.release(), other.release()]);
    const fresh = leaseSharedOptimizer({ device: 'cpu', threads: 1, log });
    expect(fresh.optimizer).not.toBe(b.optimizer);
    await fresh.release();
  });

  it('closes the optimizer with the last release', async () => {
    const a = leaseSharedOptimizer({ device: 'cpu', threads: 3, log });
    await a.release();
    const raw = cached('x');
    await a.optimizer.prepare('m@1', raw); // closed: no thread is started, nothing prepared
    expect(a.optimizer.optimized(raw)).toBeUndefined();
    const again = leaseSharedOptimizer({ device: 'cpu', threads: 3, log });
    expect(again.optimizer).not.toBe(a.optimizer);
    await again.release();
  });
});
