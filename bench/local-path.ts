// Issue 13 points 2 and 3, the local path and the data plane: det one
// request at a time through `punctual up` with its worker in the
// controller's process (the default) and with `--worker-processes` (a worker
// process behind a second gRPC hop), each through Infer (the tensors pass
// the controller) and through the data plane (PunctualClient dataPlane: the
// tensors go to the worker's data port), side by side with onnxruntime-node
// alone on the same input, in one run. Blocks of each alternate over several
// rounds so that the machine's drift falls on all alike. A tiny model (16
// floats) shows what the path itself costs when no tensor has to move. The
// CPU the `up` process's main thread spends per request (the controller's
// thread; with in-process workers also theirs, not their executor threads')
// is read from /proc around each block.
//
// Targets (issue 13): det end-to-end p50 <= 1.10 x onnxruntime alone, p99 <= 1.5 x;
// tiny model overhead (end-to-end - exec) p50 <= 0.3 ms.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitForEvent } from '../cli/child-process.js';
import { PunctualClient } from '../client/index.js';
import { BUNDLED_MODELS, bundledModelsDir } from '../profiles/bundled-models.js';
import { createSession, runSession } from '../worker/ort-session.js';
import { addTinyModel, fmt, percentile, spawnCli, stopAll, tempRepo, type Figure } from './support.js';

const DET_SHAPE = [3, 224, 224];

/** The same det input everywhere, deterministic. */
function detInput(): Float32Array {
  const data = new Float32Array(DET_SHAPE.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  return data;
}

interface Path {
  name: string;
  child: ChildProcess;
  client: PunctualClient;
  e2e: number[];
  exec: number[];
  server: number[];
  tiny: number[];
  /** CPU ms of the up process's main thread, and the requests they were spent on. */
  cpuMs: number;
  cpuRequests: number;
  viaDataPlane: number;
}

/** CPU ms the main thread of `pid` has used (Linux /proc, clock ticks of 10 ms). */
function mainThreadCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime
}

async function startUp(repo: string, extra: string[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawnCli(['up', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0', '--http-port', '-1', '--repo', repo, '--json', ...extra]);
  const ready = await waitForEvent(child, 'ready', { timeoutMs: 180_000 });
  return { child, address: String(ready.controller) };
}

function newPath(name: string, up: { child: ChildProcess; address: string }, dataPlane: boolean): Path {
  return { name, child: up.child, client: new PunctualClient(up.address, { dataPlane, dataPlaneMinBytes: 0 }), e2e: [], exec: [], server: [], tiny: [], cpuMs: 0, cpuRequests: 0, viaDataPlane: 0 };
}

export async function runLocalPathBench(requests = 600, rounds = 6): Promise<Figure[]> {
  const repo = await tempRepo(['det']);
  addTinyModel(repo.dir, 8);
  const det = BUNDLED_MODELS.find((m) => m.config.name === 'det')!;
  const session = await createSession(path.join(bundledModelsDir(), det.file), { device: 'cpu', threads: 1 });
  const x = detInput();
  const ortInput = [{ name: 'x', dtype: 'float32' as const, shape: [1, ...DET_SHAPE], data: new Uint8Array(x.buffer) }];
  const tinyX = new Float32Array(16).map((_, i) => i / 16);
  const ort: number[] = [];
  const paths: Path[] = [];
  try {
    // One after the other: the first profiles the tiny model into the repository, the second reads it.
    process.stderr.write('local-path: starting `punctual up` (in-process worker) and `punctual up --worker-processes`\n');
    const local = await startUp(repo.dir, []);
    const procs = await startUp(repo.dir, ['--worker-processes']);
    paths.push(newPath('up, worker in its process (default), Infer', local, false));
    paths.push(newPath('up, worker in its process (default), data plane', local, true));
    paths.push(newPath('up --worker-processes, Infer', procs, false));
    paths.push(newPath('up --worker-processes, data plane', procs, true));
    for (const p of paths) {
      for (let i = 0; i < 30; i++) await p.client.infer('det', { x }, { sloMs: 5000 });
      for (let i = 0; i < 30; i++) await p.client.infer('tiny', { x: tinyX }, { sloMs: 5000 });
    }
    for (let i = 0; i < 20; i++) await runSession(session, ortInput);
    const per = Math.ceil(requests / rounds);
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`local-path: round ${round + 1}/${rounds}\n`);
      for (let i = 0; i < per; i++) {
        const t = performance.now();
        await runSession(session, ortInput);
        ort.push(performance.now() - t);
      }
      for (const p of paths) {
        const cpu0 = mainThreadCpuMs(p.child.pid!);
        for (let i = 0; i < per; i++) {
          const r = await p.client.infer('det', { x }, { sloMs: 1000 });
          p.e2e.push(r.latencyMs);
          p.exec.push(r.timings.execMs);
          p.server.push(r.timings.totalMs - r.timings.execMs);
          if (r.dataPlane) p.viaDataPlane++;
        }
        p.cpuMs += mainThreadCpuMs(p.child.pid!) - cpu0;
        p.cpuRequests += per;
        for (let i = 0; i < per; i++) {
          const r = await p.client.infer('tiny', { x: tinyX }, { sloMs: 1000 });
          p.tiny.push(r.latencyMs - r.timings.execMs);
        }
      }
    }
  } finally {
    for (const p of paths) p.client.close();
    await stopAll([...new Set(paths.map((p) => p.child))]);
    await session.release();
    repo.cleanup();
  }
  const ortP50 = percentile(ort, 50);
  const ortP99 = percentile(ort, 99);
  const figures: Figure[] = [
    { name: 'onnxruntime-node alone: det batch 1, 1 thread, p50', value: ortP50, unit: 'ms', note: `${ort.length} runs in this process, interleaved with the requests` },
    { name: 'onnxruntime-node alone: det batch 1, 1 thread, p99', value: ortP99, unit: 'ms' },
  ];
  for (const p of paths) {
    const p50 = percentile(p.e2e, 50);
    const p99 = percentile(p.e2e, 99);
    figures.push(
      { name: `${p.name}: det end-to-end p50`, value: p50, unit: 'ms', target: `<= 1.10 x ort (${fmt(1.1 * ortP50)})`, note: `x${fmt(p50 / ortP50, 2)} of onnxruntime alone` },
      { name: `${p.name}: det end-to-end p99`, value: p99, unit: 'ms', target: `<= 1.5 x ort (${fmt(1.5 * ortP99)})`, note: `x${fmt(p99 / ortP99, 2)} of onnxruntime alone` },
      { name: `${p.name}: det exec on the worker p50`, value: percentile(p.exec, 50), unit: 'ms', note: 'what the executor thread measured' },
      { name: `${p.name}: det server-side overhead (controller total - exec) p50 / p99`, value: percentile(p.server, 50), unit: 'ms', note: `p99 ${fmt(percentile(p.server, 99))} ms` },
      { name: `${p.name}: CPU of up's main thread per det request`, value: p.cpuMs / p.cpuRequests, unit: 'ms', note: `${p.viaDataPlane} of ${p.e2e.length} through the data plane` },
      { name: `${p.name}: det overhead (end-to-end - exec) p50`, value: percentile(p.e2e.map((v, i) => v - p.exec[i]!), 50), unit: 'ms' },
      { name: `${p.name}: tiny model overhead (end-to-end - exec) p50`, value: percentile(p.tiny, 50), unit: 'ms', target: '<= 0.3' },
      { name: `${p.name}: tiny model overhead (end-to-end - exec) p99`, value: percentile(p.tiny, 99), unit: 'ms' },
    );
  }
  return figures;
}
