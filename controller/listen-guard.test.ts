// Protected mode: which hosts count as this machine only, and when a
// controller without an admin token refuses to listen.
import { describe, expect, it } from 'vitest';
import { Status } from '../common/errors.js';
import { isLoopbackHost } from '../common/listen-address.js';
import { checkListenSafety, isInsecureListenError } from './listen-guard.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', ' localhost '])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '', '10.0.0.5', '128.0.0.1', '1.127.0.0', '::2', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', 'my-host'])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('checkListenSafety', () => {
  it('lets loopback through without an admin token, and anything with one', () => {
    expect(checkListenSafety('127.0.0.1', {}, false)).toBeUndefined();
    expect(checkListenSafety('::1', { inferToken: 'I' }, false)).toBeUndefined();
    expect(checkListenSafety('localhost', {}, false)).toBeUndefined();
    expect(checkListenSafety('0.0.0.0', { adminToken: 'A' }, false)).toBeUndefined();
  });

  it('refuses a non-loopback address without an admin token, naming it and the three ways out', () => {
    let err: unknown;
    try {
      checkListenSafety('0.0.0.0', { inferToken: 'I', workerToken: 'W' }, false);
    } catch (e) {
      err = e;
    }
    expect(isInsecureListenError(err)).toBe(true);
    if (!isInsecureListenError(err)) return;
    expect(err.code).toBe(Status.FAILED_PRECONDITION);
    expect(err.host).toBe('0.0.0.0');
    expect(err.message).toContain('0.0.0.0');
    expect(err.message).toMatch(/register and remove models/);
    expect(err.message).toMatch(/join as a worker/);
    expect(err.message).toContain('--admin-token');
    expect(err.message).toContain('PUNCTUAL_ADMIN_TOKEN');
    expect(err.message).toContain('--host 127.0.0.1');
    expect(err.message).toContain('--insecure');
    expect(() => checkListenSafety('10.0.0.5', { adminToken: '' }, false)).toThrow(/10\.0\.0\.5/);
  });

  it('lets it through when told insecure, with a warning naming what is open', () => {
    expect(checkListenSafety('0.0.0.0', {}, true)).toBe('listening on 0.0.0.0 without an admin token (--insecure): anyone who can reach it can register and remove models, join as a worker, run inference');
    // punctual up --insecure: its workers' own token keeps the worker stream shut.
    expect(checkListenSafety('0.0.0.0', { localWorkerToken: 'L' }, true)).toBe('listening on 0.0.0.0 without an admin token (--insecure): anyone who can reach it can register and remove models, run inference');
    expect(checkListenSafety('0.0.0.0', { inferToken: 'I', workerToken: 'W' }, true)).toBe('listening on 0.0.0.0 without an admin token (--insecure): Admin is closed to everyone');
  });
});
