// Issue 13 point 3: what the data plane does to a remote client's latency.
// One machine plays three: a controller, a worker process (with a data
// port) and this process as the client, each link between them (client-
// controller, worker-controller, client-worker) through a proxy that
// delays and paces its bytes like a network link (bench/link-proxy.ts; this
// machine's kernel has no netem). det, one request at a time, through Infer
// (its tensors cross client-controller and controller-worker) and through
// the data plane (Admit and its StageAt on client-controller, the tensors on
// client-worker only), in alternating blocks; a tiny model (16 floats) shows
// the round trips alone.
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { PunctualClient } from '../client/index.js';
import { stopChild, waitForListeningPort } from '../cli/child-process.js';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import { addTinyModel, fmt, percentile, spawnCli, spawnWorker, stopAll, tempRepo, type Figure } from './support.js';

/** One network condition: each direction's delay and the link's rate. */
export interface Link {
  name: string;
  delayMs: number;
  bitsPerSecond: number;
}

export const LINKS: Link[] = [
  { name: '1 ms each way (2 ms round trip), 1 Gbit/s', delayMs: 1, bitsPerSecond: 1e9 },
  { name: '5 ms each way (10 ms round trip), 1 Gbit/s', delayMs: 5, bitsPerSecond: 1e9 },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts the proxies of one link condition in a child process: one listener per target port, in order. */
async function startLinks(link: Link, targets: number[]): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = fork(new URL('./link-proxy.js', import.meta.url), [String(link.delayMs), String(link.bitsPerSecond), ...targets.map(String)], { execArgv: [...SERVER_NODE_FLAGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { ports: number[] }).ports));
    child.once('exit', (c) => reject(new Error(`bench/link-proxy exited (${c}) before listening`)));
  });
  return { child, ports };
}

interface Series {
  e2e: number[];
  exec: number[];
  tiny: number[];
  viaDataPlane: number;
}

export async function runRemoteClientBench(requests = 300, blocks = 6): Promise<Figure[]> {
  const repo = await tempRepo(['det']);
  addTinyModel(repo.dir, 8);
  const x = new Float32Array(3 * 224 * 224).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const tinyX = new Float32Array(16).map((_, i) => i / 16);
  const figures: Figure[] = [];
  try {
    for (const link of LINKS) {
      process.stderr.write(`remote-client: ${link.name}\n`);
      const controller = spawnCli(['controller', '--port', '0', '--host', '127.0.0.1', '--http-port', '-1', '--metrics-port', '-1', '--repo', repo.dir]);
      const children: ChildProcess[] = [controller];
      let proxies: ChildProcess | undefined;
      const clients: PunctualClient[] = [];
      try {
        const { port } = await waitForListeningPort(controller);
        const dataPort = await freePort();
        // Three links: the worker's to the controller, the client's to the controller, the client's to the worker's data port.
        const links = await startLinks(link, [port, port, dataPort]);
        proxies = links.child;
        const [workerLink, clientLink, dataLink] = links.ports as [number, number, number];
        children.push(spawnWorker(`127.0.0.1:${workerLink}`, ['--data-port', String(dataPort), '--data-advertise', `127.0.0.1:${dataLink}`]));
        const infer = new PunctualClient(`127.0.0.1:${clientLink}`);
        // Every request through the data plane, the tiny one too (what it costs is the point).
        const staged = new PunctualClient(`127.0.0.1:${clientLink}`, { dataPlane: true, dataPlaneMinBytes: 0 });
        clients.push(infer, staged);
        for (let i = 0; i < 300; i++) {
          try {
            await infer.infer('det', { x }, { sloMs: 10_000 });
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 100)); // the worker is still joining
          }
        }
        for (const c of clients) {
          for (let i = 0; i < 20; i++) await c.infer('det', { x }, { sloMs: 10_000 });
          for (let i = 0; i < 20; i++) await c.infer('tiny', { x: tinyX }, { sloMs: 10_000 });
        }
        const series = new Map<PunctualClient, Series>(clients.map((c) => [c, { e2e: [], exec: [], tiny: [], viaDataPlane: 0 }]));
        const per = Math.ceil(requests / blocks);
        for (let b = 0; b < blocks; b++) {
          for (const [c, s] of series) {
            for (let i = 0; i < per; i++) {
              const r = await c.infer('det', { x }, { sloMs: 10_000 });
              s.e2e.push(r.latencyMs);
              s.exec.push(r.timings.execMs);
              if (r.dataPlane) s.viaDataPlane++;
            }
            for (let i = 0; i < per; i++) s.tiny.push((await c.infer('tiny', { x: tinyX }, { sloMs: 10_000 })).latencyMs);
          }
        }
        const a = series.get(infer)!;
        const d = series.get(staged)!;
        for (const [label, s] of [
          ['Infer (through the controller)', a],
          ['data plane', d],
        ] as const) {
          figures.push(
            { name: `remote client, ${link.name}, ${label}: det end-to-end p50`, value: percentile(s.e2e, 50), unit: 'ms', note: `p99 ${fmt(percentile(s.e2e, 99))} ms; exec p50 ${fmt(percentile(s.exec, 50))} ms; ${s.viaDataPlane} of ${s.e2e.length} via the data plane` },
            { name: `remote client, ${link.name}, ${label}: tiny end-to-end p50`, value: percentile(s.tiny, 50), unit: 'ms', note: `p99 ${fmt(percentile(s.tiny, 99))} ms` },
          );
        }
        figures.push({ name: `remote client, ${link.name}: det, data plane − Infer (p50)`, value: percentile(d.e2e, 50) - percentile(a.e2e, 50), unit: 'ms', note: `tiny: ${fmt(percentile(d.tiny, 50) - percentile(a.tiny, 50))} ms` });
      } finally {
        for (const c of clients) c.close();
        await stopAll(children);
        if (proxies) {
          if (proxies.connected) proxies.send({ type: 'exit' });
          await stopChild(proxies, 3000);
        }
      }
    }
  } finally {
    repo.cleanup();
  }
  return figures;
}
