// What a worker shows the outside world: Prometheus metrics of the actions it
// runs (on --metrics-port), grpc.health.v1.Health on a small gRPC server of
// its own (--health-port; the worker otherwise only dials out), both on
// loopback unless --listen-host says otherwise, readiness
// (welcomed by its controller, not draining), and the count of actions in
// flight that a graceful drain waits for. worker.ts calls it at three points:
// an action arrives, a result leaves, the connection changes.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { listenHealth, type HealthPort } from '../common/health-port.js';
import { HealthStatus } from '../common/health-service.js';
import type { Logger } from '../common/log.js';
import { hostPort, isLoopbackHost } from '../common/listen-address.js';
import { startMetricsServer, type MetricsServer, type TlsPair } from '../common/metrics-server.js';
import type { Action__Output, ActionResult } from '../common/wire.js';

export const WORKER_HEALTH_SERVICES = ['punctual.v1.Worker'];

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface WorkerObservabilityOptions {
  log: Logger;
  /** Bytes of model files held, for the cache gauge. */
  cacheBytes: () => number;
  /** Memory budget per executor index. */
  budgets: () => number[];
}

/** Where the worker's metrics and health ports listen, and how /metrics is guarded. */
export interface WorkerListenOptions {
  metricsPort: number;
  healthPort: number;
  host: string;
  metricsToken?: string;
  metricsTls?: TlsPair;
}

export class WorkerObservability {
  readonly registry = new Registry();
  readonly health = new HealthStatus(WORKER_HEALTH_SERVICES);
  private readonly actions: Counter<'type' | 'status'>;
  private readonly duration: Histogram<'type'>;
  private readonly wait: Histogram<'type'>;
  private readonly busy: Counter<'executor'>;
  private readonly laneWaits: Counter<'executor' | 'type'>;
  private readonly sessionThreads: Gauge<'executor' | 'model'>;
  private readonly trims: Counter;
  private readonly trimmed: Counter;
  private readonly trimSeconds: Counter;
  private readonly sent = new Map<number, { type: string; executor: number; model: string }>();
  private connected = false;
  private draining = false;
  private metricsServer: MetricsServer | undefined;
  private healthServer: HealthPort | undefined;

  constructor(private readonly opts: WorkerObservabilityOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.actions = new Counter({ name: 'punctual_worker_actions_total', help: 'Actions finished on this worker, by type and result status', labelNames: ['type', 'status'], registers });
    this.duration = new Histogram({ name: 'punctual_worker_action_duration_seconds', help: 'Measured duration of successful actions', labelNames: ['type'], buckets: SECONDS, registers });
    this.wait = new Histogram({ name: 'punctual_worker_action_wait_seconds', help: 'Time from an action arriving to it starting (queue wait on the executor)', labelNames: ['type'], buckets: SECONDS, registers });
    this.busy = new Counter({ name: 'punctual_worker_executor_busy_seconds_total', help: 'Time each executor spent running actions; rate() is its utilisation', labelNames: ['executor'], registers });
    this.laneWaits = new Counter({
      name: 'punctual_worker_lane_waits_total',
      help: 'Actions that started while the session thread holding their model was still busy with another (on an executor with several lanes: an INFER behind a LOAD or UNLOAD; the controller avoids them)',
      labelNames: ['executor', 'type'],
      registers,
    });
    this.sessionThreads = new Gauge({
      name: 'punctual_worker_session_threads',
      help: 'Intra-op threads of each loaded session, as the executor thread created it: the model\'s own count (its config\'s or its profile\'s best), capped by the executor\'s --threads',
      labelNames: ['executor', 'model'],
      registers,
    });
    this.trims = new Counter({ name: 'punctual_worker_memory_trims_total', help: "Times the worker asked glibc (malloc_trim) to hand released sessions' memory back, its RSS over its start + budget + cached bytes + allowance", registers });
    this.trimmed = new Counter({ name: 'punctual_worker_memory_trimmed_bytes_total', help: 'What those trims took off the RSS', registers });
    this.trimSeconds = new Counter({ name: 'punctual_worker_memory_trim_seconds_total', help: 'Time the trims took (on a libuv thread; each holds the allocator arena it walks)', registers });
    const connected = (): number => (this.connected ? 1 : 0);
    const inFlight = (): number => this.sent.size;
    new Gauge({
      name: 'punctual_worker_connected',
      help: '1 while the stream to the controller is up and welcomed',
      registers,
      collect() {
        this.set(connected());
      },
    });
    new Gauge({
      name: 'punctual_worker_actions_in_flight',
      help: 'Actions received and not yet answered',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
    new Gauge({
      name: 'punctual_worker_model_cache_bytes',
      help: 'Bytes of model files held in memory',
      registers,
      collect() {
        this.set(opts.cacheBytes());
      },
    });
    new Gauge({
      name: 'punctual_worker_executor_memory_budget_bytes',
      help: 'Memory budget announced for each executor',
      labelNames: ['executor'],
      registers,
      collect() {
        this.reset();
        opts.budgets().forEach((b, i) => this.set({ executor: String(i) }, b));
      },
    });
  }

  get inFlight(): number {
    return this.sent.size;
  }

  ready(): boolean {
    return this.connected && !this.draining;
  }

  private refresh(): void {
    this.health.setAll(this.ready() ? 'SERVING' : 'NOT_SERVING');
  }

  setConnected(connected: boolean): void {
    if (connected !== this.connected) this.opts.log.info({ event: connected ? 'controller_connected' : 'controller_lost' }, connected ? 'connected to the controller' : 'lost the controller');
    this.connected = connected;
    // A lost stream ends every action the controller was waiting for, and the executors release every session.
    if (!connected) {
      this.sent.clear();
      this.sessionThreads.reset();
    }
    this.refresh();
  }

  actionReceived(a: Action__Output): void {
    this.sent.set(a.id, { type: a.type, executor: a.executor, model: a.modelKey });
  }

  /** A malloc_trim finished: what it took off the RSS and how long it took. */
  memoryTrimmed(bytes: number, ms: number): void {
    this.trims.inc();
    if (bytes > 0) this.trimmed.inc(bytes);
    this.trimSeconds.inc(ms / 1000);
  }

  actionDone(r: ActionResult): void {
    const id = Number(r.actionId);
    const a = this.sent.get(id);
    this.sent.delete(id);
    const type = a?.type ?? 'UNKNOWN';
    const status = String(r.status ?? 'OK');
    this.actions.inc({ type, status });
    if (status !== 'OK') {
      if (status === 'COULD_NOT_START_IN_TIME') this.opts.log.info({ event: 'action_refused', action: id, type, message: r.message }, `refused ${type} ${id}: could not start in time`);
      return;
    }
    const duration = Number(r.durationMs ?? 0) / 1000;
    this.duration.observe({ type }, duration);
    this.wait.observe({ type }, Math.max(0, Number(r.startMs ?? 0) - Number(r.receivedMs ?? 0)) / 1000);
    if (a) this.busy.inc({ executor: String(a.executor) }, duration);
    if (a?.type === 'UNLOAD') this.sessionThreads.remove({ executor: String(a.executor), model: a.model });
  }

  /** An executor created a session (worker/executor.ts LoadRecord). */
  sessionLoaded(executor: number, model: string, threads: number): void {
    this.sessionThreads.set({ executor: String(executor), model }, threads);
  }

  /** An action started on executor `executor` while its session thread was still busy: it waits behind that work. */
  laneWait(executor: number, type: string): void {
    this.laneWaits.inc({ executor: String(executor), type });
  }

  /** Starts /metrics and the health gRPC server where `listen` says; a port < 0 leaves that one off. Returns the real ports. */
  async start(listen: WorkerListenOptions): Promise<{ metricsPort?: number; healthPort?: number }> {
    const { host } = listen;
    const out: { metricsPort?: number; healthPort?: number } = {};
    const where: string[] = [];
    if (listen.metricsPort >= 0) {
      this.metricsServer = await startMetricsServer(this.registry, {
        port: listen.metricsPort,
        host,
        ready: () => this.ready(),
        ...(listen.metricsToken ? { token: listen.metricsToken } : {}),
        ...(listen.metricsTls ? { tls: listen.metricsTls } : {}),
      });
      out.metricsPort = this.metricsServer.port;
      where.push(`metrics on ${this.metricsServer.url}`);
      if (!listen.metricsToken && !isLoopbackHost(this.metricsServer.host)) {
        this.opts.log.warn({ event: 'metrics_open', host: this.metricsServer.host }, `metrics on ${this.metricsServer.host} without a metrics token: anyone who can reach it reads them (--metrics-token guards /metrics)`);
      }
    }
    if (listen.healthPort >= 0) {
      this.healthServer = await listenHealth(this.health, host, listen.healthPort);
      out.healthPort = this.healthServer.port;
      where.push(`health (gRPC) on ${hostPort(host, out.healthPort)}`);
    }
    this.opts.log.info({ event: 'worker_listening', host, ...out }, where.length > 0 ? `worker ${where.join(', ')}` : 'worker metrics and health ports off');
    return out;
  }

  /** Health NOT_SERVING, then waits until no action is in flight, at most `timeoutMs`. */
  async drain(timeoutMs: number): Promise<{ drained: boolean; left: number }> {
    this.draining = true;
    this.refresh();
    this.opts.log.info({ event: 'draining', inFlight: this.sent.size, timeoutMs }, `draining: ${this.sent.size} action(s) in flight`);
    const until = Date.now() + timeoutMs;
    while (this.sent.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    const result = { drained: this.sent.size === 0, left: this.sent.size };
    this.opts.log.info({ event: 'drained', ...result }, result.drained ? 'drained' : `drain timed out with ${result.left} action(s) in flight`);
    return result;
  }

  async close(): Promise<void> {
    this.health.endWatches();
    await this.metricsServer?.close();
    await this.healthServer?.close();
  }
}
