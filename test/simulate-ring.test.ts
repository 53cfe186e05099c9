// `punctual simulate --controllers N` through the CLI (runCli in-process):
// the cluster's summary with one row per controller, the JSON form, and
// the usage errors of a ring that cannot be built.
import { describe, expect, it } from 'vitest';
import { simulatedRing } from '../traces/sharded-simulation.js';
import { runCliCaptured as cli } from './support/run-cli.js';

const WORKLOAD = ['simulate', '--workload', 'zipf', '--rate', '200', '--duration', '5', '--model-instances', '24', '--workers', '4'];

describe('simulate --controllers', () => {
  it('prints the cluster and one row per controller, and the same as JSON', async () => {
    const text = await cli([...WORKLOAD, '--controllers', '3']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/simulated, policy punctual, 3 controllers/);
    for (const name of ['controller-0', 'controller-1', 'controller-2']) expect(text.stdout).toMatch(new RegExp(`^${name}\\s+\\d+\\s+\\d+\\s+\\d+`, 'm'));
    const json = await cli(['--json', ...WORKLOAD, '--controllers', '3', '--split-workers', 'load']);
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout) as { requests: number; config: Record<string, unknown>; controllers: { controller: string; models: number; workers: number; requests: number }[] };
    expect(r.controllers.map((c) => c.controller)).toEqual(['controller-0', 'controller-1', 'controller-2']);
    expect(r.controllers.reduce((n, c) => n + c.models, 0)).toBe(24);
    expect(r.controllers.reduce((n, c) => n + c.workers, 0)).toBe(4);
    expect(r.controllers.reduce((n, c) => n + c.requests, 0)).toBe(r.requests);
    expect(r.config).toMatchObject({ controllers: 3, workers: 4, worker_split: 'load', ring_version: simulatedRing(3).version });
  });

  it('without --controllers, prints no ring', async () => {
    const r = await cli(['--json', ...WORKLOAD]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s.controllers).toBeUndefined();
    expect((s.config as Record<string, unknown>).controllers).toBeUndefined();
  });

  it.each([
    [['--controllers', '5'], /--controllers 5 needs at least as many --workers.*not 4/],
    [['--controllers', '0'], /--controllers.*integer from 1 to 64/],
    [['--controllers', '2', '--split-workers', 'random'], /--split-workers.*Allowed choices are even, load/],
  ])('refuses %j with exit 2', async (extra, message) => {
    const r = await cli([...WORKLOAD, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
