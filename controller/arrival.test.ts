// A request's SLO runs from its arrival (headers), whatever form it takes.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { ARRIVAL_KEY, arrivalOf, sloFromArrival } from './arrival.js';

describe('arrival', () => {
  it('reads the stamp of a call, and falls back to now for a missing, malformed or future one', () => {
    const clock = new ManualClock(5000);
    const md = new grpc.Metadata();
    expect(arrivalOf(md, clock)).toBe(5000);
    md.set(ARRIVAL_KEY, '4960');
    expect(arrivalOf(md, clock)).toBe(4960);
    md.set(ARRIVAL_KEY, 'soon');
    expect(arrivalOf(md, clock)).toBe(5000);
    md.set(ARRIVAL_KEY, '9999');
    expect(arrivalOf(md, clock)).toBe(5000);
  });

  it('counts the time a request spent coming in against its own SLO, and turns its gRPC deadline into a budget from arrival', () => {
    const clock = new ManualClock(5000);
    const arrival = 4960; // the tensor took 40 ms to come in
    // Its own SLO (slo_ms, V2 timeout) runs from arrival: the deadline is arrival + 100.
    expect(sloFromArrival(100, Infinity, 300, arrival, clock)).toBe(100);
    // A gRPC deadline 60 ms from now is 100 ms from arrival.
    const deadline = Date.now() + 60;
    expect(sloFromArrival(undefined, deadline, 300, arrival, clock)).toBeCloseTo(100, -1);
    // Both: the tighter one.
    expect(sloFromArrival(500, deadline, 300, arrival, clock)).toBeCloseTo(100, -1);
    // Neither: the model's default.
    expect(sloFromArrival(undefined, Infinity, 300, arrival, clock)).toBe(300);
  });
});
