// A closed stdout/stderr is a normal condition, end to end with real
// processes: the test holds the other ends of their output pipes, closes them
// (as a parent that exits would), makes the processes log, then sends
// SIGTERM. Each must keep serving, drain, and exit 0 — `punctual up` and the
// worker it started (which writes to up's stderr) included — instead of
// crashing on EPIPE or wedging in a logger that retries a dead pipe forever.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEvent, waitForListeningPort } from '../cli/child-process.js';
import { PunctualClient } from '../client/index.js';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import { ensureDefaultRepository } from '../controller/default-repository.js';
import { CLI, randomFloat32, SHAPES } from './support/cluster.js';

/** How long a process may take from SIGTERM to exit: a drain with nothing in flight, plus slack. */
const EXIT_BOUND_MS = 30_000;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-pipes-'));
const repo = path.join(root, 'models');
const children: ChildProcess[] = [];
const pids: number[] = [];

function spawnCli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PUNCTUAL_LOG_LEVEL: 'info' },
  });
  children.push(child);
  return child;
}

/** Closes the test's ends of the child's stdout and stderr: its next write gets EPIPE. */
function closePipes(child: ChildProcess): void {
  child.stdout!.destroy();
  child.stderr!.destroy();
}

/** The exit code, or 'still running' after `ms`. */
function exitWithin(child: ChildProcess, ms: number): Promise<number | NodeJS.Signals | 'still running'> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still running'), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? 'still running');
    });
  });
}

/** Pids whose parent is `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** True while `pid` exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (running(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function inferOk(client: PunctualClient): Promise<string> {
  const r = await client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 5_000 });
  return Object.keys(r.outputs).join(',');
}

beforeAll(async () => {
  await ensureDefaultRepository(repo, ['cls']);
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of pids) if (running(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

describe('with its output pipes closed', () => {
  it('punctual up keeps serving and restarting its worker, then drains on SIGTERM and exits 0, and so does its worker', async () => {
    const up = spawnCli(['up', '--worker-processes', '--port', '0', '--metrics-port', '0', '--http-port', '-1', '--repo', repo, '--json']);
    const ready = await waitForEvent(up, 'ready', { timeoutMs: 60_000 });
    expect(ready.workers).toBe(1);
    const address = String(ready.controller);
    const [first] = childPids(up.pid!);
    expect(first).toBeDefined();
    pids.push(first!);
    const client = new PunctualClient(address);
    try {
      closePipes(up);
      // Its worker dies: the controller logs it leaving, the supervisor says so
      // and starts another, which writes (its stdout and stderr are up's stderr) from birth.
      process.kill(first!, 'SIGKILL');
      await waitForWorkers(client, 0);
      await waitForWorkers(client, 1);
      const second = childPids(up.pid!).filter((p) => p !== first);
      expect(second).toHaveLength(1);
      pids.push(second[0]!);
      expect(await inferOk(client)).toBe('softmax_0.tmp_0');

      up.kill('SIGTERM');
      expect(await exitWithin(up, EXIT_BOUND_MS)).toBe(0);
      expect(await goneWithin(second[0]!, 10_000)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('a plain controller and a plain worker drain on SIGTERM and exit 0', async () => {
    const controller = spawnCli(['controller', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '-1', '--http-port', '-1', '--repo', repo]);
    const { port } = await waitForListeningPort(controller, { timeoutMs: 60_000 });
    const address = `127.0.0.1:${port}`;
    const worker = spawnCli(['worker', '--controller', address, '--metrics-port', '-1', '--health-port', '-1']);
    await waitForEvent(worker, 'worker_listening', { timeoutMs: 60_000 });
    const client = new PunctualClient(address);
    try {
      await waitForWorkers(client, 1);
      closePipes(controller);
      closePipes(worker);
      expect(await inferOk(client)).toBe('softmax_0.tmp_0');

      // The worker logs its drain and leaving; the controller logs the worker leaving.
      worker.kill('SIGTERM');
      expect(await exitWithin(worker, EXIT_BOUND_MS)).toBe(0);
      await waitForWorkers(client, 0);
      controller.kill('SIGTERM');
      expect(await exitWithin(controller, EXIT_BOUND_MS)).toBe(0);
    } finally {
      client.close();
    }
  });
});

async function waitForWorkers(client: PunctualClient, n: number): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const s = await client.clusterStatus();
    if (s.workers.length === n && s.workers.every((w) => w.executors.length > 0)) return;
    if (Date.now() > until) throw new Error(`expected ${n} workers, have ${s.workers.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
