// The local path (issue 13 point 2): `punctual up` runs its workers in its own
// process, their streams to the controller in-process, so tensors reach the
// executor threads without a second socket round trip. It must serve exactly
// as a controller with worker processes does: the same serving tests
// (test/support/serving-cases.ts), and the same failure handling — an
// executor thread that dies is a worker that leaves (its work re-planned,
// nothing unanswered), and it joins again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualClient, PunctualClientError } from '../client/index.js';
import { createLogger } from '../common/log.js';
import { startController, type ControllerHandle } from '../controller/controller.js';
import { ensureDefaultRepository } from '../controller/default-repository.js';
import { executorThreadScript } from '../worker/thread-client.js';
import { startWorker, type WorkerHandle } from '../worker/worker.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { memoryPressureCases, servingCases } from './support/serving-cases.js';

/** The pids of `pid`'s child processes (Linux /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('punctual up, its two workers in its own process', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo();
    await cluster.startUp(['--workers', '2']);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs no worker process: both workers are in up itself, named local-1 and local-2', async () => {
    expect(childPids(cluster.controllerProcess!.pid!)).toEqual([]);
    const s = await cluster.client.clusterStatus();
    expect(s.workers.map((w) => w.name).sort()).toEqual(['local-1', 'local-2']);
  });

  servingCases(() => cluster);
});

describe('punctual up, in its own process, under memory pressure', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo();
    // det (~41 MiB) and rec (~20 MiB) do not fit together in 48 MiB.
    await cluster.startUp(['--memory', '48MiB']);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  memoryPressureCases(() => cluster);
});

describe('an in-process worker whose executor thread dies mid-request', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-local-'));
  const marker = path.join(root, 'die');
  let controller: ControllerHandle;
  let client: PunctualClient;
  const workers: WorkerHandle[] = [];
  const lines: string[] = [];

  beforeAll(async () => {
    const repo = path.join(root, 'models');
    await ensureDefaultRepository(repo, ['rec', 'det']);
    // The real executor thread, which also dies (once, whichever thread takes
    // the marker first) a few ms into the first inference after the test drops the marker.
    const script = path.join(root, 'dying-thread.mjs');
    fs.writeFileSync(
      script,
      `import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type !== 'infer') return;
  try { fs.renameSync(${JSON.stringify(marker)}, ${JSON.stringify(`${marker}.taken`)}); } catch { return; }
  setTimeout(() => process.exit(7), 3);
});
await import(${JSON.stringify(executorThreadScript().href)});
`,
    );
    controller = await startController({ port: 0, host: '127.0.0.1', repoDir: repo, metricsPort: -1, httpPort: -1, logger: createLogger('controller', 'silent') });
    for (const i of [1, 2]) {
      workers.push(
        await startWorker({
          controller: 'this process',
          dial: () => ({ Connect: () => controller.connectLocalWorker(), close: () => undefined }),
          rejoinWhenThreadDies: true,
          threadScript: pathToFileURL(script),
          name: `local-${i}`,
          memoryBytes: 2 ** 30,
          log: (l) => lines.push(l),
          logLevel: 'silent',
        }),
      );
    }
    client = new PunctualClient(`127.0.0.1:${controller.port}`);
    for (let i = 0; i < 200 && controller.core.workers.size < 2; i++) await new Promise((r) => setTimeout(r, 50));
  });

  afterAll(async () => {
    client?.close();
    for (const w of workers) await w.close();
    await controller?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('leaves no request unanswered: the worker leaves, its work runs on the other, and it joins again as a new worker', async () => {
    expect(controller.core.workers.size).toBe(2);
    const idsBefore = [...controller.core.workers.values()].map((w) => w.id).sort();
    const outcomes: string[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      all.push(
        client
          .infer('rec', { x: randomFloat32([...SHAPES.rec]) }, { sloMs: 20_000 })
          .then(() => void outcomes.push('OK'))
          .catch((e: unknown) => void outcomes.push(e instanceof PunctualClientError ? e.statusName : String(e))),
      );
    }
    await new Promise((r) => setTimeout(r, 300));
    fs.writeFileSync(marker, '');
    await Promise.all(all);
    expect(fs.existsSync(`${marker}.taken`)).toBe(true); // a thread did die
    expect(outcomes).toHaveLength(60);
    for (const o of outcomes) expect(['OK', 'UNAVAILABLE']).toContain(o);
    expect(outcomes.filter((o) => o === 'OK').length).toBeGreaterThan(50);
    expect(lines.some((l) => /died \(exit code 7\).*leaving the controller and joining again/.test(l))).toBe(true);
    // It joined again, as a new worker (a new id), with a fresh executor thread that serves.
    for (let i = 0; i < 200; i++) {
      const ids = [...controller.core.workers.values()].map((w) => w.id);
      if (ids.length === 2 && ids.some((id) => !idsBefore.includes(id))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ids = [...controller.core.workers.values()].map((w) => w.id);
    expect(ids).toHaveLength(2);
    expect(ids.filter((id) => !idsBefore.includes(id))).toHaveLength(1);
    const s = await client.clusterStatus();
    expect(s.workers.map((w) => w.name).sort()).toEqual(['local-1', 'local-2']);
    for (const w of s.workers) expect(w.executors[0]!.executorClass).not.toBe('');
    const after = await client.infer('det', { x: randomFloat32([...SHAPES.det]) }, { sloMs: 5000 });
    expect(after.batchSize).toBe(1);
  });
});
