import { Metadata, status as Status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBackend, type FakeBackend } from '../test/support/fake-backend.js';
import { PunctualClientError, UnavailableError } from './errors.js';
import { PunctualRingClient, notAdmitted } from './ring-client.js';

describe('notAdmitted: which UNAVAILABLE a ring client sends again', () => {
  it('one that never reached a controller, or one a controller gave without admitting', () => {
    expect(notAdmitted(new UnavailableError(Status.UNAVAILABLE, 'cannot reach the controller at a:1: No connection established. Last error: connect ECONNREFUSED'))).toBe(true);
    expect(notAdmitted(new UnavailableError(Status.UNAVAILABLE, 'Stream refused by server'))).toBe(true);
    expect(notAdmitted(new UnavailableError(Status.UNAVAILABLE, 'no executor can run it', 'no_executor'))).toBe(true);
    expect(notAdmitted(new UnavailableError(Status.UNAVAILABLE, 'controller is draining', 'draining'))).toBe(true);
  });

  it('not one that may have run, nor any other status', () => {
    expect(notAdmitted(new UnavailableError(Status.UNAVAILABLE, 'Connection dropped'))).toBe(false);
    expect(notAdmitted(new UnavailableError(Status.UNAVAILABLE, 'its worker left', 'unavailable'))).toBe(false);
    expect(notAdmitted(new PunctualClientError(Status.RESOURCE_EXHAUSTED, 'cannot finish within 10 ms', 'slo_unattainable', new Metadata()))).toBe(false);
    expect(notAdmitted(new PunctualClientError(Status.DEADLINE_EXCEEDED, 'late'))).toBe(false);
  });
});

describe('PunctualRingClient options', () => {
  it('refuses no seed and retries out of range', () => {
    expect(() => new PunctualRingClient([])).toThrow(/at least one controller/);
    expect(() => new PunctualRingClient('127.0.0.1:1', { retry: { attempts: 0 } })).toThrow(/retry.attempts/);
    expect(() => new PunctualRingClient('127.0.0.1:1', { retry: { backoffMs: -1 } })).toThrow(/retry.backoffMs/);
    expect(() => new PunctualRingClient('127.0.0.1:1', { defaultDeadlineMs: -5 })).toThrow(RangeError);
  });

  it('fails a request with UNAVAILABLE when no controller of the ring answers', async () => {
    const client = new PunctualRingClient('127.0.0.1:1', { retry: { attempts: 2, backoffMs: 1 } });
    try {
      await expect(client.infer('det', { x: { shape: [1], data: new Float32Array(1) } }, { sloMs: 1000 })).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      client.close();
    }
  });
});

describe('PunctualRingClient of a controller alone', () => {
  let backend: FakeBackend;
  beforeAll(async () => {
    backend = await startFakeBackend(); // GetRing: no members
  });
  afterAll(async () => {
    await backend.close();
  });

  it('has no ring, and names the controller (by its address) as owner and as its one member', async () => {
    const client = new PunctualRingClient(backend.address);
    try {
      expect(await client.ring()).toBeUndefined();
      const self = { name: backend.address, address: backend.address };
      expect(await client.ownerOf('img')).toEqual(self);
      expect(await client.ownerOf('anything-else')).toEqual(self);
      const status = await client.clusterStatus();
      expect(status.map((s) => s.controller)).toEqual([self]);
      expect((await client.listModels()).map((m) => m.name)).toEqual(backend.models.map((m) => m.name).sort());
    } finally {
      client.close();
    }
  });
});
