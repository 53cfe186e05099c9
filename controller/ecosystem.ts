// What the controller adds to speak the ecosystem's language, wired in one
// place: the Open Inference Protocol and gRPC health services on the client
// port, Prometheus metrics on their own HTTP port, readiness, the log lines
// of prediction misses, and graceful drain. Hangs off the serving core
// through the ServingObserver interface only.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../common/clock.js';
import { ecosystemProtos } from '../common/ecosystem-protos.js';
import { HealthStatus } from '../common/health-service.js';
import type { Logger } from '../common/log.js';
import { hostPort, isLoopbackHost } from '../common/listen-address.js';
import { listenHealth, type HealthPort } from '../common/health-port.js';
import { startMetricsServer, type MetricsServer, type MetricsServerOptions } from '../common/metrics-server.js';
import type { Estimates, PredictionError } from './scheduler/estimates.js';
import { checkedDecoding } from './checked-decoding.js';
import { ControllerMetrics } from './metrics.js';
import { ModelStatistics } from './model-statistics.js';
import type { ServingCore } from './serving-core.js';
import { OIP_ROLES, oipService } from './services/oip-service.js';
import { serveService, type ServerCallDeps } from './services/server-call.js';

/** Services whose health is reported, beside the whole server (""). */
export const HEALTH_SERVICES = ['punctual.v1.Inference', 'inference.GRPCInferenceService'];

export interface EcosystemOptions {
  core: ServingCore;
  estimates: Estimates;
  clock: Clock;
  log: Logger;
  /** A measured execution this many times its prediction (and 2 ms over) is logged. @default 2 */
  predictionMissRatio?: number;
}

export interface DrainResult {
  /** True when every accepted request was answered in time. */
  drained: boolean;
  /** Requests still unanswered when the wait ended. */
  left: number;
}

export class Ecosystem {
  readonly health = new HealthStatus(HEALTH_SERVICES);
  readonly metrics: ControllerMetrics;
  /** Triton's statistics per model version (ModelStatistics; the REST stats route may read it too). */
  readonly statistics: ModelStatistics;
  private metricsServer: MetricsServer | undefined;
  private healthPort: HealthPort | undefined;
  private readonly refreshTimer: NodeJS.Timeout;

  constructor(private readonly opts: EcosystemOptions) {
    const { core, estimates, log } = opts;
    this.metrics = new ControllerMetrics(core);
    this.statistics = new ModelStatistics({ isLive: (key) => core.registry.get(key) !== undefined });
    core.observers.push(this.metrics, this.statistics, { workersChanged: () => this.refresh() });
    const ratio = opts.predictionMissRatio ?? 2;
    const previous = estimates.onPrediction;
    estimates.onPrediction = (e: PredictionError) => {
      previous?.(e);
      this.metrics.predicted(e);
      if (e.measured > e.predicted * ratio && e.measured - e.predicted > 2) {
        log.info({ event: 'prediction_miss', model: e.model, batch: e.batch, executorClass: e.cls, predictedMs: e.predicted, measuredMs: e.measured }, `${e.model} ran ${e.measured.toFixed(1)} ms, predicted ${e.predicted.toFixed(1)} ms`);
      }
    };
    // Registrations (Admin) change readiness too; a cheap periodic refresh catches them.
    this.refreshTimer = setInterval(() => this.refresh(), 1000);
    this.refreshTimer.unref();
  }

  /** Ready: not draining, a worker connected, a model registered. */
  ready(): boolean {
    const { core } = this.opts;
    return !core.draining && core.workers.size > 0 && core.registry.size > 0;
  }

  refresh(): void {
    const was = this.health.get();
    const now = this.ready() ? 'SERVING' : 'NOT_SERVING';
    this.health.setAll(now);
    if (was !== now) this.opts.log.info({ event: 'readiness', ready: now === 'SERVING' }, `readiness: ${now}`);
  }

  /** Adds inference.GRPCInferenceService (through the server-call adapter, as every service) and grpc.health.v1.Health, before the server binds. */
  addServices(server: grpc.Server, calls: ServerCallDeps): void {
    const { oip, health } = ecosystemProtos();
    const { core, clock, log } = this.opts;
    const oipDef = oip.inference.GRPCInferenceService.service;
    // A request that does not decode is INVALID_ARGUMENT, not grpc-js's INTERNAL (see checked-decoding.ts; the adapter answers it).
    server.addService(checkedDecoding(oipDef), serveService(oipDef, oipService({ core, clock, log, ready: () => this.ready(), statistics: this.statistics }), OIP_ROLES, calls));
    server.addService(health.grpc.health.v1.Health.service, this.health.handlers());
  }

  /**
   * Starts /metrics (and the HTTP probes) where `listen` says; returns its
   * port, or undefined when disabled (port < 0).
   */
  async startMetrics(listen: Omit<MetricsServerOptions, 'ready'>): Promise<number | undefined> {
    if (listen.port < 0) return undefined;
    const server = await startMetricsServer(this.metrics.registry, { ...listen, ready: () => this.ready() });
    this.metricsServer = server;
    const { log } = this.opts;
    log.info({ event: 'metrics_listening', host: server.host, port: server.port, tls: listen.tls !== undefined, token: listen.token !== undefined }, `metrics on ${server.url}`);
    if (!listen.token && !isLoopbackHost(server.host)) {
      log.warn({ event: 'metrics_open', host: server.host }, `metrics on ${server.host} without a metrics token: anyone who can reach it reads them (--metrics-token guards /metrics)`);
    }
    return server.port;
  }

  /**
   * Stops accepting (new requests get UNAVAILABLE, health NOT_SERVING) and
   * waits until every accepted request is answered, at most `timeoutMs`.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    const { core, log } = this.opts;
    core.draining = true;
    this.refresh();
    log.info({ event: 'draining', inFlight: core.inFlight, timeoutMs }, `draining: ${core.inFlight} request(s) in flight`);
    await core.until(() => core.inFlight === 0, timeoutMs);
    const result = { drained: core.inFlight === 0, left: core.inFlight };
    log.info({ event: 'drained', ...result }, result.drained ? 'drained' : `drain timed out with ${result.left} request(s) unanswered`);
    return result;
  }

  /** Starts the plaintext health port (common/health-port.ts) on host:port; returns its port, or undefined when off (port < 0). */
  async startHealthPort(host: string, port: number): Promise<number | undefined> {
    if (port < 0) return undefined;
    this.healthPort = await listenHealth(this.health, host, port);
    this.opts.log.info({ event: 'health_listening', host, port: this.healthPort.port }, `health (gRPC, plaintext) on ${hostPort(host, this.healthPort.port)}`);
    return this.healthPort.port;
  }

  async close(): Promise<void> {
    clearInterval(this.refreshTimer);
    this.health.endWatches();
    await this.metricsServer?.close();
    await this.healthPort?.close();
  }
}
