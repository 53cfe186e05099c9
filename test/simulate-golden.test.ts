// Scheduling decisions, pinned: `punctual simulate` (the CLI's own
// runSimulation, in process) on a fixed set of workloads gives exactly the
// summaries recorded in test/fixtures/simulate-golden.json. A refactor of the
// scheduler, its driver or the emulated executors must leave every one of
// them unchanged; a change meant to alter decisions regenerates the file with
//   PUNCTUAL_UPDATE_GOLDEN=1 npx vitest run test/simulate-golden.test.ts
// and says why in its commit. Each case records its readable totals and a
// sha256 over the whole summary (every model's figures) and the run's event,
// refusal and load counts, so any difference at all fails.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSimulation, type SimulateFlags } from '../cli/commands/simulate.js';
import type { Policy } from '../controller/scheduler/policy.js';
import { generateAzureTrace } from '../traces/generate-trace.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'simulate-golden.json');
const UPDATE = process.env.PUNCTUAL_UPDATE_GOLDEN === '1';

interface Case {
  name: string;
  policy: Policy;
  trace?: 'azure';
  flags: Partial<SimulateFlags>;
}

const CASES: Case[] = [
  { name: 'constant det, near capacity', policy: 'punctual', flags: { workload: 'constant', models: ['det'], rate: 90, duration: 20 } },
  { name: 'constant det, 3x overload', policy: 'punctual', flags: { workload: 'constant', models: ['det'], rate: 300, duration: 10 } },
  { name: 'bursty det', policy: 'punctual', flags: { workload: 'bursty', models: ['det'], rate: 80, duration: 30 } },
  { name: 'zipf over 30 instances, evictions', policy: 'punctual', flags: { workload: 'zipf', modelInstances: 30, rate: 300, duration: 20, workers: 2, executors: 2, memory: 300 * 2 ** 20 } },
  { name: '1,000-instance Azure-format trace', policy: 'punctual', trace: 'azure', flags: { modelInstances: 1000, minuteSeconds: 10, workers: 3, executors: 1, sloMs: 100 } },
  { name: 'fifo: constant det, 3x overload', policy: 'fifo', flags: { workload: 'constant', models: ['det'], rate: 300, duration: 10 } },
  { name: 'fifo: zipf over 30 instances', policy: 'fifo', flags: { workload: 'zipf', modelInstances: 30, rate: 300, duration: 20, workers: 2, executors: 2, memory: 300 * 2 ** 20 } },
];

interface Golden {
  requests: number;
  ok_within_slo: number;
  rejected: number;
  late: number;
  errors: number;
  events: number;
  refused: number;
  loads: number;
  sha256: string;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-golden-'));
const traceFile = path.join(dir, 'azure.csv');
fs.writeFileSync(traceFile, generateAzureTrace({ shape: 'zipf-poisson', functions: 1000, minutes: 3, peakPerMinute: 600, seed: 7 }));
const recorded: Record<string, Golden> = fs.existsSync(FIXTURE) ? (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, Golden>) : {};
const fresh: Record<string, Golden> = {};

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (UPDATE) fs.writeFileSync(FIXTURE, JSON.stringify(fresh, null, 2) + '\n');
});

describe('simulate gives the recorded decisions', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const flags: SimulateFlags = { workers: 1, executors: 1, lanes: 2, memory: 2 ** 31, noise: 1, seed: 1, policy: c.policy, ...c.flags };
      const r = await runSimulation(c.trace ? traceFile : undefined, flags, c.policy, false);
      // The trace's file name (a fresh temporary folder) is the one figure that differs between runs.
      const s = { ...r.summary, config: { ...r.summary.config, trace: c.trace ?? null } };
      const counts = { events: r.events, refused: r.refused, loads: r.loads };
      const got: Golden = {
        requests: s.requests,
        ok_within_slo: s.ok_within_slo,
        rejected: s.rejected,
        late: s.late,
        errors: s.errors,
        ...counts,
        sha256: createHash('sha256').update(JSON.stringify({ s, counts })).digest('hex'),
      };
      fresh[c.name] = got;
      expect(s.requests).toBeGreaterThan(500);
      if (UPDATE) return;
      expect(recorded[c.name], `no recorded result for "${c.name}": regenerate ${FIXTURE} (see the top of this file)`).toBeDefined();
      expect(got).toEqual(recorded[c.name]);
      // The 1,000-instance case plans loads for many cold models on every tick: ~45 s on a quiet
      // 2-core machine, well over a minute beside other work. Its figures are virtual time, so a
      // slow machine changes nothing but how long it takes.
    }, 300_000);
  }
});
