// compileControllerOptions: every default comes from the one table, given
// values pass through untouched, and each value out of range is refused
// with a ControllerOptionsError naming the option.
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../common/clock.js';
import { CONTROLLER_DEFAULTS, compileControllerOptions, isControllerOptionsError, type ControllerOptions } from './options.js';
import { SCHEDULER_DEFAULTS } from './scheduler/scheduler.js';

describe('compileControllerOptions', () => {
  it('fills every default from CONTROLLER_DEFAULTS, the clock with the system clock', () => {
    const c = compileControllerOptions({ repoDir: '/repo' });
    expect(c).toEqual({ repoDir: '/repo', clock: systemClock, ...CONTROLLER_DEFAULTS, httpHost: CONTROLLER_DEFAULTS.host });
  });

  it('listens for HTTP where gRPC listens unless told otherwise', () => {
    expect(compileControllerOptions({ repoDir: '/r', host: '127.0.0.1' }).httpHost).toBe('127.0.0.1');
    expect(compileControllerOptions({ repoDir: '/r', host: '127.0.0.1', httpHost: '::1' }).httpHost).toBe('::1');
  });

  it("takes the scheduler's own defaults for the options the scheduler reads", () => {
    expect(CONTROLLER_DEFAULTS.scheduleAheadMs).toBe(SCHEDULER_DEFAULTS.scheduleAheadMs);
    expect(CONTROLLER_DEFAULTS.lostAfterMs).toBe(SCHEDULER_DEFAULTS.lostAfterMs);
    expect(CONTROLLER_DEFAULTS.maxReserveShare).toBe(SCHEDULER_DEFAULTS.maxReserveShare);
  });

  it('keeps what it is given, falsy values included', () => {
    const clock = new ManualClock(5);
    const given = {
      repoDir: '/r',
      clock,
      port: 0,
      host: '127.0.0.1',
      insecure: true,
      scheduleAheadMs: 3,
      profileIterations: 2,
      pingIntervalMs: 50,
      livenessMs: 400,
      lostAfterMs: 700,
      maxMessageBytes: 1024,
      estimateMaxAgeMs: 90,
      maxReserveShare: 0,
      policy: 'fifo',
      warmOnJoin: false,
      metricsPort: 0,
      healthPort: 0,
      metricsHost: '::1',
      httpPort: 0,
      httpHost: '127.0.0.2',
      maxModelBytes: 4096,
      maxConcurrentUploads: 1,
      uploadIdleTimeoutMs: 20,
      swapWarmTimeoutMs: 30,
      swapDrainTimeoutMs: 40,
      drainTimeoutMs: 50,
      adminToken: 'a',
      tlsCertFile: 'c.pem',
      tlsKeyFile: 'k.pem',
    } satisfies ControllerOptions;
    expect(compileControllerOptions(given)).toEqual(given);
  });

  it('reads an explicit undefined as "not given"', () => {
    expect(compileControllerOptions({ repoDir: '/r', port: undefined, logLevel: undefined }).port).toBe(CONTROLLER_DEFAULTS.port);
  });

  it.each([
    ['port', { port: 70_000 }, /port must be a port from 0 to 65535, got 70000/],
    ['port', { port: 1.5 }, /port must be a port/],
    ['metricsPort', { metricsPort: -2 }, /metricsPort must be a port from 0 to 65535, or -1 \(off\), got -2/],
    ['healthPort', { healthPort: 70_000 }, /healthPort must be a port from 0 to 65535, or -1 \(off\), got 70000/],
    ['httpPort', { httpPort: -2 }, /httpPort must be a port from 0 to 65535, or -1 \(off\), got -2/],
    ['httpHost', { httpHost: '' }, /httpHost must be an address/],
    ['scheduleAheadMs', { scheduleAheadMs: 0 }, /scheduleAheadMs must be a positive number, got 0/],
    ['profileIterations', { profileIterations: -1 }, /profileIterations must be a positive number/],
    ['pingIntervalMs', { pingIntervalMs: Number.NaN }, /pingIntervalMs must be a positive number, got NaN/],
    ['livenessMs', { livenessMs: Infinity }, /livenessMs must be a positive number/],
    ['lostAfterMs', { lostAfterMs: 0 }, /lostAfterMs/],
    ['estimateMaxAgeMs', { estimateMaxAgeMs: -5 }, /estimateMaxAgeMs/],
    ['uploadIdleTimeoutMs', { uploadIdleTimeoutMs: 0 }, /uploadIdleTimeoutMs/],
    ['swapWarmTimeoutMs', { swapWarmTimeoutMs: 0 }, /swapWarmTimeoutMs/],
    ['swapDrainTimeoutMs', { swapDrainTimeoutMs: 0 }, /swapDrainTimeoutMs/],
    ['drainTimeoutMs', { drainTimeoutMs: 0 }, /drainTimeoutMs/],
    ['maxMessageBytes', { maxMessageBytes: 0.5 }, /maxMessageBytes must be a positive integer, got 0.5/],
    ['maxModelBytes', { maxModelBytes: 0 }, /maxModelBytes must be a positive integer/],
    ['maxConcurrentUploads', { maxConcurrentUploads: 1.5 }, /maxConcurrentUploads must be a positive integer/],
    ['maxReserveShare', { maxReserveShare: 1 }, /maxReserveShare must be a fraction in \[0, 1\), got 1/],
    ['maxReserveShare', { maxReserveShare: -0.1 }, /maxReserveShare must be a fraction/],
    ['policy', { policy: 'lifo' as unknown as 'fifo' }, /policy must be one of punctual, fifo, got lifo/],
    ['host', { host: '' }, /host must be an address/],
    ['repoDir', { repoDir: '' }, /repoDir must be a directory/],
  ] as [string, Partial<ControllerOptions>, RegExp][])('refuses %s out of range (%j)', (option, bad, message) => {
    let thrown: unknown;
    try {
      compileControllerOptions({ repoDir: '/r', ...bad });
    } catch (err) {
      thrown = err;
    }
    expect(isControllerOptionsError(thrown)).toBe(true);
    expect((thrown as { option: string }).option).toBe(option);
    expect((thrown as Error).message).toMatch(message);
  });

  it('accepts the edges of each range', () => {
    expect(() => compileControllerOptions({ repoDir: '/r', port: 65535, metricsPort: -1, maxReserveShare: 0 })).not.toThrow();
  });
});
