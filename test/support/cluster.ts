// Starts real Punctual processes for integration tests: a controller and
// workers as child processes of the compiled CLI (dist/, built by `npm test`
// before vitest runs; a missing or stale dist/ fails loudly instead of running
// old code), on port 0, with a model repository in a temp folder.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { SERVER_NODE_FLAGS } from '../../common/node-flags.js';
import { ensureDefaultRepository } from '../../controller/default-repository.js';
import { PunctualClient, type PunctualClientOptions } from '../../client/index.js';
import { stopChild, waitForEvent, waitForListeningPort } from '../../cli/child-process.js';
import { assertBuilt } from '../../common/thread-script.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(root, 'dist', 'cli', 'main.js');
assertBuilt(CLI, root);

export interface WorkerSpec {
  executors?: number;
  threads?: number;
  memory?: string;
  device?: string;
  /** More `punctual worker` flags, appended. */
  extra?: string[];
}

export class TestCluster {
  readonly workers: ChildProcess[] = [];
  client!: PunctualClient;
  address = '';
  /** The controller's /metrics port. */
  metricsPort = 0;
  /** The controller's HTTP port (V2 REST, the dashboard). */
  httpPort = 0;
  /** The controller's plaintext health port (--health-port), 0 when off. */
  healthPort = 0;
  /** Each worker's /metrics and health ports, from the line it prints on stdout. */
  readonly workerPorts = new Map<ChildProcess, Promise<{ metricsPort: number; healthPort: number; dataAddress: string }>>();
  private controller: ChildProcess | undefined;
  private readonly logs: string[] = [];

  /** Token the test client and workers send (the admin token of a guarded controller). */
  token: string | undefined;
  /** CA file (PEM) of a TLS controller: the test client trusts it and workers get `--tls-ca`. */
  tlsCa: string | undefined;
  /** More options of the test client (e.g. dataPlane). */
  clientOptions: PunctualClientOptions = {};

  constructor(readonly repo: string) {}

  /** A fresh, empty repository. */
  static withEmptyRepo(): TestCluster {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-test-'));
    fs.mkdirSync(path.join(repo, 'models'));
    return new TestCluster(path.join(repo, 'models'));
  }

  /** The controller's /metrics text, for a failing test's diagnostics. */
  async metricsText(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    return res.text();
  }

  /** The controller process, e.g. to kill it. */
  get controllerProcess(): ChildProcess | undefined {
    return this.controller;
  }

  /** A fresh repository holding the bundled models (with their shipped profiles). */
  static async withDefaultRepo(only?: string[]): Promise<TestCluster> {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-test-'));
    await ensureDefaultRepository(path.join(repo, 'models'), only);
    return new TestCluster(path.join(repo, 'models'));
  }

  private spawnCli(args: string[]): ChildProcess {
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PUNCTUAL_LOG_LEVEL: process.env.PUNCTUAL_LOG_LEVEL ?? 'warn' },
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.logs.push(d.toString());
      if (this.logs.length > 200) this.logs.shift();
    });
    return child;
  }

  async startController(extra: string[] = []): Promise<void> {
    const child = this.spawnCli(['controller', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0', '--http-port', '0', '--repo', this.repo, ...extra]);
    this.controller = child;
    const { port, metricsPort, httpPort, healthPort } = await waitForListeningPort(child, { timeoutMs: 60_000, detail: () => this.logs.join('') });
    this.metricsPort = metricsPort;
    this.httpPort = httpPort;
    this.healthPort = healthPort;
    this.address = `127.0.0.1:${port}`;
    this.client?.close();
    this.client = new PunctualClient(this.address, {
      ...this.clientOptions,
      ...(this.token ? { token: this.token } : {}),
      ...(this.tlsCa ? { credentials: grpc.credentials.createSsl(fs.readFileSync(this.tlsCa)) } : {}),
    });
  }

  /**
   * `punctual up` instead of a controller and workers: it starts its own
   * (in its process by default; `--worker-processes` for child processes),
   * and resolves once they have joined.
   */
  async startUp(extra: string[] = []): Promise<void> {
    const child = this.spawnCli(['up', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0', '--http-port', '0', '--repo', this.repo, '--json', ...extra]);
    this.controller = child;
    const ready = await waitForEvent(child, 'ready', { timeoutMs: 120_000, detail: () => this.logs.join('') });
    this.address = String(ready.controller);
    this.client?.close();
    this.client = new PunctualClient(this.address, this.clientOptions);
  }

  startWorker(spec: WorkerSpec = {}): ChildProcess {
    const child = this.spawnCli([
      ...(this.tlsCa ? ['--tls-ca', this.tlsCa] : []),
      'worker',
      '--controller',
      this.address,
      '--executors',
      String(spec.executors ?? 1),
      '--threads',
      String(spec.threads ?? 1),
      '--memory',
      spec.memory ?? '1GiB',
      '--device',
      spec.device ?? 'cpu',
      '--metrics-port',
      '0',
      '--health-port',
      '0',
      ...(this.token ? ['--token', this.token] : []),
      ...(spec.extra ?? []),
    ]);
    this.workers.push(child);
    this.workerPorts.set(
      child,
      new Promise((resolve) => {
        const rl = readline.createInterface({ input: child.stdout! });
        rl.on('line', (line) => {
          try {
            const msg = JSON.parse(line) as { event?: string; metricsPort?: number; healthPort?: number; dataAddress?: string | null };
            if (msg.event === 'worker_listening') resolve({ metricsPort: msg.metricsPort ?? 0, healthPort: msg.healthPort ?? 0, dataAddress: msg.dataAddress ?? '' });
          } catch {
            // not a JSON line
          }
        });
      }),
    );
    return child;
  }

  /** Waits until the controller reports `n` workers with every executor joined. */
  async waitForWorkers(n: number, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.client.clusterStatus();
      if (s.workers.length === n && s.workers.every((w) => w.executors.every((e) => e.executorClass !== ''))) return;
      if (Date.now() > until) throw new Error(`expected ${n} workers, have ${s.workers.length}:\n${this.logs.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  logText(): string {
    return this.logs.join('');
  }

  /** Stops the controller only (workers keep redialling), leaving the repository in place. */
  async stopController(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.controller;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }

  /** Starts a controller again on the port the last one had (after stopController), so workers redialling it find it. */
  async restartController(extra: string[] = []): Promise<void> {
    const port = this.address.slice(this.address.lastIndexOf(':') + 1);
    // A later --port wins over startController's --port 0.
    await this.startController(['--port', port, ...extra]);
  }

  async stop(): Promise<void> {
    this.client?.close();
    const all = [...this.workers, ...(this.controller ? [this.controller] : [])];
    await Promise.all(all.map((c) => stopChild(c)));
    fs.rmSync(path.dirname(this.repo), { recursive: true, force: true });
  }
}

/** A float32 input of the given per-item shape with values in [0, 1). */
export function randomFloat32(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random();
  return a;
}

export const SHAPES = {
  det: [3, 224, 224],
  rec: [3, 48, 320],
  cls: [3, 48, 192],
} as const;
