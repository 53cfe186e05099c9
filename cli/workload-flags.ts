// The workload flags shared by `replay`, `simulate` and `compare`: a trace
// file argument or --workload NAME, and the options that shape it.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseMinutes, type WorkloadSpec } from '../traces/workload.js';
import { SYNTHETIC_WORKLOADS } from '../traces/synthetic.js';
import { integerIn } from './args.js';

export interface WorkloadFlags {
  workload?: string;
  rate?: number;
  duration?: number;
  minutes?: { from: number; to: number };
  minuteSeconds?: number;
  rateScale?: number;
  models?: string[];
  seed: number;
}

function positive(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, not ${JSON.stringify(v)}`);
    return n;
  };
}

function minutes(v: string): { from: number; to: number } {
  try {
    return parseMinutes(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function addWorkloadFlags(cmd: Command): Command {
  return cmd
    .argument('[trace]', 'Azure Functions trace CSV (invocations_per_function_md format)')
    .addOption(new Option('--workload <name>', 'built-in synthetic workload instead of a trace').choices([...SYNTHETIC_WORKLOADS]))
    .addOption(new Option('--rate <rps>', 'synthetic workload: mean arrival rate, requests/s (default 50)').argParser(positive('--rate')))
    .addOption(new Option('--duration <s>', 'stop after this many seconds (synthetic: its length, default 60)').argParser(positive('--duration')))
    .addOption(new Option('--minutes <from-to>', 'trace minutes to replay, e.g. 1-60').argParser(minutes))
    .addOption(new Option('--minute-seconds <s>', 'seconds one trace minute lasts (default 60)').argParser(positive('--minute-seconds')))
    .addOption(new Option('--rate-scale <r>', 'multiply the trace counts by r (default 1)').argParser(positive('--rate-scale')))
    .addOption(new Option('--models <list>', 'comma-separated models the workload maps onto (default: all)').argParser((v) => v.split(',').map((s) => s.trim()).filter(Boolean)))
    .addOption(new Option('--seed <n>', 'random seed').argParser(integerIn(0, 2 ** 31 - 1)).default(1));
}

export function workloadSpec(trace: string | undefined, f: WorkloadFlags): WorkloadSpec {
  return {
    ...(trace !== undefined ? { trace } : {}),
    ...(f.workload !== undefined ? { workload: f.workload } : {}),
    ...(f.rate !== undefined ? { rate: f.rate } : {}),
    ...(f.duration !== undefined ? { durationS: f.duration } : {}),
    ...(f.minutes ? { minutes: f.minutes } : {}),
    ...(f.minuteSeconds !== undefined ? { minuteSeconds: f.minuteSeconds } : {}),
    ...(f.rateScale !== undefined ? { rateScale: f.rateScale } : {}),
    ...(f.models ? { models: f.models } : {}),
    seed: f.seed,
  };
}
