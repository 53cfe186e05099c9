import { describe, expect, it } from 'vitest';
import { PunctualError, Status } from '../common/errors.js';
import { ControllerRing, OTHER_SHARD, OWNER_TRAILER, RING_VERSION_TRAILER, parseOwnerTrailer, parseRing } from '../common/ring.js';
import { ModelRegistry } from './model-registry.js';
import { Shard } from './shard.js';

// With members c0 and c1, c0 owns cls and c1 owns det and rec (the hash is fixed; test/ring.e2e.test.ts relies on it too).
const ring = new ControllerRing(parseRing('c0=127.0.0.1:7001,c1=127.0.0.1:7002'));

describe('Shard', () => {
  it('owns what the ring gives it, and names the owner of the rest', () => {
    const shard = new Shard(ring, 'c0');
    expect(shard.owns('cls')).toBe(true);
    expect(shard.owns('det')).toBe(false);
    expect(shard.elsewhere('cls')).toBeUndefined();
    expect(shard.elsewhere('det')).toEqual({ name: 'c1', address: '127.0.0.1:7002' });
  });

  it('answers another controller\'s model with NOT_FOUND, reason other_shard, and the owner in message and trailers', () => {
    const shard = new Shard(ring, 'c0');
    const err = shard.otherShard('det', ring.owner('det'));
    expect(err.code).toBe(Status.NOT_FOUND);
    expect(err.reason).toBe(OTHER_SHARD);
    expect(err.message).toContain('served by controller c1 at 127.0.0.1:7002');
    expect(err.trailers).toEqual({ [OWNER_TRAILER]: 'c1=127.0.0.1:7002', [RING_VERSION_TRAILER]: ring.version });
    expect(shard.otherShard('det', ring.owner('det'), Status.FAILED_PRECONDITION).code).toBe(Status.FAILED_PRECONDITION);
  });

  it('names the owner in a trailer that parseOwnerTrailer reads back (what the ring client and the CLI follow)', () => {
    const err = new Shard(ring, 'c0').otherShard('det', ring.owner('det'));
    expect(parseOwnerTrailer(err.trailers?.[OWNER_TRAILER])).toEqual(ring.owner('det'));
    expect(parseOwnerTrailer(new Shard(ring, 'c1').otherShard('cls', ring.owner('cls')).trailers?.[OWNER_TRAILER])).toEqual({ name: 'c0', address: '127.0.0.1:7001' });
    for (const bad of [undefined, 7, '', 'c1', '=127.0.0.1:7002', 'c1=']) expect(parseOwnerTrailer(bad), String(bad)).toBeUndefined();
  });

  it('refuses a name that is not a member', () => {
    expect(() => new Shard(ring, 'c7')).toThrow(/not a member of --ring \(c0, c1\)/);
  });
});

describe('ModelRegistry with a shard', () => {
  const resolveError = (registry: ModelRegistry, name: string): PunctualError => {
    try {
      registry.resolve(name, 0);
    } catch (err) {
      return err as PunctualError;
    }
    throw new Error(`${name} resolved`);
  };

  it('answers a name it does not hold with its owner when another owns it, plain NOT_FOUND when it owns it', () => {
    const registry = new ModelRegistry(new Shard(ring, 'c0'));
    expect(resolveError(registry, 'det').reason).toBe(OTHER_SHARD);
    expect(resolveError(registry, 'cls').reason).toBe('not_found');
    expect(resolveError(new ModelRegistry(), 'det').reason).toBe('not_found');
  });
});
