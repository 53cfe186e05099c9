// The accounting of bench/controller-throughput.ts (bench/controller-throughput-stats.ts):
// the open-loop schedule the generator's lag is measured against, percentiles,
// CPU time read from /proc, and the .cpuprofile summary (self time per
// function and per module within a time window).
import { describe, expect, it } from 'vitest';
import {
  cpuSecondsOfStat,
  dueBy,
  machineCpuOfStat,
  moduleOf,
  percentile,
  scheduledAt,
  spread,
  summariseProfile,
  type CpuProfile,
} from '../bench/controller-throughput-stats.js';

describe('the open-loop schedule', () => {
  it('spaces arrivals evenly and counts those due', () => {
    expect(scheduledAt(100, 1000, 0)).toBe(100);
    expect(scheduledAt(100, 1000, 5)).toBe(105);
    expect(dueBy(100, 1000, 99.9, 10)).toBe(0);
    expect(dueBy(100, 1000, 100, 10)).toBe(1); // arrival 0 is due at its own time
    expect(dueBy(100, 1000, 104.99, 10)).toBe(5);
    expect(dueBy(100, 1000, 105, 10)).toBe(6);
    expect(dueBy(100, 1000, 1e9, 10)).toBe(10); // never more than the step has
  });
});

describe('percentiles', () => {
  it('takes the nearest rank of unsorted values, NaN of none', () => {
    const v = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 99)).toBe(10);
    expect(percentile(new Float64Array([3]), 99)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
    expect(spread(Float64Array.from({ length: 1000 }, (_, i) => i + 1))).toEqual({ p50: 500, p99: 990, max: 1000 });
  });
});

describe('CPU time from /proc', () => {
  it("reads utime + stime of a process, whatever its name holds", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '4242 (node a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 123 456';
    expect(cpuSecondsOfStat(stat)).toBeCloseTo(3, 9);
    expect(cpuSecondsOfStat('garbage')).toBeUndefined();
    expect(cpuSecondsOfStat('1 (x) S 1 2')).toBeUndefined();
  });

  it("reads the machine's busy and total time from /proc/stat", () => {
    const stat = 'cpu  100 10 50 800 40 0 0 0 0 0\ncpu0 50 5 25 400 20 0 0 0 0 0\n';
    expect(machineCpuOfStat(stat)).toEqual({ busy: 1.6, total: 10 });
    expect(machineCpuOfStat('intr 1 2 3')).toBeUndefined();
  });
});

describe('the CPU profile summary', () => {
  const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('admit', 'file:///work/main/dist/controller/scheduler/admission.js', 9) },
      { id: 4, callFrame: frame('write', 'file:///work/main/node_modules/@grpc/grpc-js/build/src/http2.js', 99) },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    startTime: 1_000,
    endTime: 1_100,
    // Samples at 1010, 1020, …, 1100; each weighs the time to the next.
    samples: [3, 3, 4, 2, 2, 5, 3, 4, 3, 2],
    timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
  };

  it('sums self time per function and per module, idle apart, largest first', () => {
    const s = summariseProfile(profile, 10);
    expect(s.windowed).toBe(false);
    expect(s.idleUs).toBe(20); // the 10th sample is at endTime and weighs nothing
    expect(s.busyUs).toBe(70);
    expect(s.top[0]).toEqual({ name: 'admit controller/scheduler/admission.js:10', selfUs: 40, share: 40 / 70 });
    expect(s.top.map((t) => t.name)).toEqual(['admit controller/scheduler/admission.js:10', 'write @grpc/grpc-js/build/src/http2.js:100', '(garbage collector)']);
    expect(s.modules.map((m) => [m.name, m.selfUs])).toEqual([
      ['controller/scheduler', 40],
      ['@grpc/grpc-js', 20],
      ['(garbage collector)', 10],
    ]);
  });

  it('keeps to the samples of a window, and says when the window missed them all', () => {
    const s = summariseProfile(profile, 10, { fromUs: 1_025, toUs: 1_065 });
    expect(s.windowed).toBe(true);
    // Samples at 1030 (write), 1040 and 1050 (idle), 1060 (gc, cut at 1065).
    expect(s.top.map((t) => [t.name, t.selfUs])).toEqual([
      ['write @grpc/grpc-js/build/src/http2.js:100', 10],
      ['(garbage collector)', 5],
    ]);
    expect(s.idleUs).toBe(20);
    const missed = summariseProfile(profile, 10, { fromUs: 5_000, toUs: 6_000 });
    expect(missed.windowed).toBe(false);
    expect(missed.busyUs).toBe(70);
  });

  it('names where code lives', () => {
    expect(moduleOf('(program)')).toBe('(program)');
    expect(moduleOf('respond node:internal/http2/core:2792')).toBe('node:http2');
    expect(moduleOf('f node:events:471')).toBe('node:events');
    expect(moduleOf('Histogram prom-client/lib/histogram.js:232')).toBe('prom-client');
    expect(moduleOf('x @grpc/grpc-js/build/src/server.js:1')).toBe('@grpc/grpc-js');
    expect(moduleOf('complete controller/scheduler/outcomes.js:13')).toBe('controller/scheduler');
    expect(moduleOf('now (native):0')).toBe('(native)');
  });
});
