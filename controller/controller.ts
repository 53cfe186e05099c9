// The controller process: reads the model repository (profiling models on
// first sight), then serves punctual.v1.Inference and Admin to clients and
// WorkerControl to workers, all on one port; the Open Inference Protocol
// over HTTP (and the routes others mount there) on its own (controller/http/).
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { createLogger, type Logger } from '../common/log.js';
import { serializeModelConfig } from '../common/model-config.js';
import { createServer, hasStreamGate, inProcessCarry, protos } from '../common/protos.js';
import { localStreamPair, refusedClientStream, type Carry, type LocalClientStream } from '../common/local-stream.js';
import type { ControllerMessage, WorkerMessage } from '../common/wire.js';
import { profileModel } from '../profiles/profiler.js';
import { hostPort } from '../common/listen-address.js';
import { readTlsPair, type MetricsServerOptions } from '../common/metrics-server.js';
import { arrivalInterceptor } from './arrival.js';
import { checkedDecoding } from './checked-decoding.js';
import { earlyAdmission } from './early-admission.js';
import { Authorizer } from './auth.js';
import { Ecosystem, type DrainResult } from './ecosystem.js';
import { dashboardRoutes } from './dashboard/dashboard-routes.js';
import { startHttpServer, type HttpPlugin, type HttpServer } from './http/http-server.js';
import { v2Routes } from './http/v2-routes.js';
import { Estimates } from './scheduler/estimates.js';
import { checkListenSafety } from './listen-guard.js';
import { checkSignature, outputsOf } from './model-check.js';
import { ModelAdmin } from './model-admin.js';
import { ModelRegistry } from './model-registry.js';
import { Shard } from './shard.js';
import { ControllerRing } from '../common/ring.js';
import { compileControllerOptions, type CompiledControllerOptions, type ControllerOptions } from './options.js';
import { loadRepository, saveConfig, saveProfile, type RepoModel } from './model-repository.js';
import { cleanStaleFolders, uploadsDir } from './repository-writer.js';
import { ServingCore } from './serving-core.js';
import { ADMIN_ROLES, adminService } from './services/admin-service.js';
import { UploadReceiver } from './services/register-upload.js';
import { INFERENCE_ROLES, inferenceService } from './services/inference-service.js';
import { serveService } from './services/server-call.js';
import { WORKER_ROLES, workerService } from './services/worker-service.js';

export type { ControllerOptions } from './options.js';

/** Plaintext, or TLS from PEM files. */
function serverCredentials(opts: CompiledControllerOptions): grpc.ServerCredentials {
  if (!opts.tlsCertFile && !opts.tlsKeyFile) return grpc.ServerCredentials.createInsecure();
  if (!opts.tlsCertFile || !opts.tlsKeyFile) throw new Error('TLS needs both a certificate (--tls-cert) and a key (--tls-key)');
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(opts.tlsCertFile), private_key: fs.readFileSync(opts.tlsKeyFile) }], false);
}

/** Where /metrics listens and how it is guarded. */
function metricsListen(opts: CompiledControllerOptions): Omit<MetricsServerOptions, 'ready'> {
  const own = opts.metricsTlsCertFile !== undefined || opts.metricsTlsKeyFile !== undefined;
  const tls = own ? readTlsPair(opts.metricsTlsCertFile, opts.metricsTlsKeyFile) : readTlsPair(opts.tlsCertFile, opts.tlsKeyFile, '--tls-cert and --tls-key');
  return {
    port: opts.metricsPort,
    host: opts.metricsHost,
    ...(opts.metricsToken ? { token: opts.metricsToken } : {}),
    ...(tls ? { tls } : {}),
  };
}

export interface ControllerHandle {
  /** The port it listens on (the real one when 0 was asked). */
  port: number;
  /** The serving core, for status and tests. */
  core: ServingCore;
  /** Online estimates, for benchmarks measuring prediction error. */
  estimates: Estimates;
  /** The /metrics port (the real one when 0 was asked); undefined when off. */
  metricsPort: number | undefined;
  /** The HTTP port (V2 REST; the real one when 0 was asked); undefined when off. */
  httpPort: number | undefined;
  /** The plaintext health port (ControllerOptions.healthPort; the real one when 0 was asked); undefined when off. */
  healthPort: number | undefined;
  /**
   * Opens a worker stream inside this process, for a worker started here
   * (`punctual up`'s local path): the same messages, the same handling and the
   * same failure handling as a worker that dials, without a socket or a
   * token. Once the controller is closing, the stream fails with UNAVAILABLE.
   */
  connectLocalWorker(): LocalClientStream<WorkerMessage>;
  /** Stops accepting new requests (UNAVAILABLE) and waits for accepted ones, at most `timeoutMs` (default: the `drainTimeoutMs` option). */
  drain(timeoutMs?: number): Promise<DrainResult>;
  close(): Promise<void>;
}

/** Profiles (if needed) and checks one model from the repository. Returns a problem or undefined. */
async function prepareModel(m: RepoModel, opts: CompiledControllerOptions, log: Logger): Promise<string | undefined> {
  if (m.profile && m.config.outputs.length > 0) return undefined;
  const measure = !m.profile;
  if (measure) log.info({ event: 'profiling', model: m.key }, `profiling ${m.key} (first sight)`);
  try {
    // With a stored profile, only the model's signature is read (no timed runs).
    const { profile, signature } = await profileModel(m.key, m, m.config.inputs, measure ? m.config.batchSizes : [], {
      iterations: opts.profileIterations,
      loads: 1,
    });
    const problem = checkSignature(m.config, signature);
    if (problem) return problem;
    if (m.config.outputs.length === 0) {
      m.config.outputs = outputsOf(signature);
      await saveConfig(m, serializeModelConfig(m.config));
    }
    if (!measure) return undefined;
    await saveProfile(m, profile);
    log.info({ event: 'profiled', model: m.key, memoryBytes: profile.memoryBytes }, `profiled ${m.key}`);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export async function startController(options: ControllerOptions): Promise<ControllerHandle> {
  const opts = compileControllerOptions(options);
  const { clock, host } = opts;
  const log = opts.logger ?? createLogger('controller', opts.logLevel);
  // Before anything touches the repository: refuse to be taken over from the network.
  const insecure = checkListenSafety(host, opts, opts.insecure);
  if (insecure) log.warn({ event: 'insecure_listen', host }, insecure);
  if (opts.httpPort >= 0 && opts.httpHost !== host) {
    // The HTTP port carries inference and the repository extension: the same rule as the gRPC listener.
    const insecureHttp = checkListenSafety(opts.httpHost, opts, opts.insecure);
    if (insecureHttp) log.warn({ event: 'insecure_listen', host: opts.httpHost }, `HTTP: ${insecureHttp}`);
  }
  const httpTls = readTlsPair(opts.tlsCertFile, opts.tlsKeyFile, '--tls-cert and --tls-key');
  const metricsListenOptions = metricsListen(opts);
  const estimates = new Estimates({ clock, maxAgeMs: opts.estimateMaxAgeMs });
  const shard = opts.ring ? new Shard(new ControllerRing(opts.ring), opts.ringName!) : undefined;
  if (shard) log.info({ event: 'ring', self: shard.self.name, members: shard.ring.members.map((m) => m.name), version: shard.ring.version }, `controller ${shard.self.name} of a ring of ${shard.ring.members.length}`);
  const registry = new ModelRegistry(shard);
  const core = new ServingCore({
    clock,
    registry,
    estimates,
    log,
    scheduleAheadMs: opts.scheduleAheadMs,
    lostAfterMs: opts.lostAfterMs,
    policy: opts.policy,
    maxReserveShare: opts.maxReserveShare,
    warmOnJoin: opts.warmOnJoin,
    dataPlaneTls: opts.tlsCertFile !== undefined,
  });

  for (const p of await cleanStaleFolders(opts.repoDir)) log.warn({ event: 'stale_folder_removed', path: p }, `removed ${p} (left by an interrupted change)`);
  const { models, problems } = await loadRepository(opts.repoDir);
  for (const p of problems) log.warn({ event: 'repository_problem', path: p.path, problem: p.message }, `skipped ${p.path}: ${p.message}`);
  for (const m of models) {
    const problem = await prepareModel(m, opts, log);
    if (problem || !m.profile) {
      log.warn({ event: 'model_skipped', model: m.key, problem }, `not serving ${m.key}: ${problem ?? 'no profile'}`);
      continue;
    }
    registry.add(m);
    log.info({ event: 'model_registered', model: m.key }, `registered ${m.key}`);
    estimates.seed(m.key, m.profile);
    core.addModel(m);
  }
  log.info({ event: 'models_ready', models: registry.all().map((m) => m.key) }, `serving ${registry.size} models`);

  const auth = new Authorizer(opts);
  // Requests' SLO clocks start when their headers arrive (controller/arrival.ts), and a request
  // admission would reject is answered from its first bytes (controller/early-admission.ts).
  let gated = false;
  const server = createServer(
    { interceptors: [arrivalInterceptor(clock, () => gated)], 'grpc.max_receive_message_length': opts.maxMessageBytes },
    earlyAdmission({ core, auth, clock }),
  );
  gated = hasStreamGate(server);
  if (!gated) log.warn({ event: 'early_admission_off' }, 'this grpc-js does not let requests be checked before they are read: early admission is off');
  const p = protos();
  const startedAt = clock.now();

  // Every call of every service goes through one adapter: auth for its method's role, undecodable
  // requests, errors → statuses, the not-admitted count (controller/services/server-call.ts).
  const calls = { auth, core, clock };
  const inferenceDef = p.inference.punctual.v1.Inference.service;
  server.addService(checkedDecoding(inferenceDef), serveService(inferenceDef, inferenceService(core, clock), INFERENCE_ROLES, calls));
  const modelAdmin = new ModelAdmin(core, estimates, clock, log, {
    repoDir: opts.repoDir,
    profileIterations: opts.profileIterations,
    warmTimeoutMs: opts.swapWarmTimeoutMs,
    drainTimeoutMs: opts.swapDrainTimeoutMs,
  });
  const adminHandlers = adminService(core, estimates, clock, startedAt, {
    modelAdmin,
    uploads: new UploadReceiver(uploadsDir(opts.repoDir), {
      maxBytes: opts.maxModelBytes,
      maxConcurrent: opts.maxConcurrentUploads,
      idleTimeoutMs: opts.uploadIdleTimeoutMs,
    }),
    profileIterations: opts.profileIterations,
    log,
  });
  const adminDef = p.admin.punctual.v1.Admin.service;
  server.addService(checkedDecoding(adminDef), serveService(adminDef, adminHandlers, ADMIN_ROLES, calls));
  const workerDef = p.worker.punctual.v1.WorkerControl.service;
  const workerHandlers = workerService(core, clock, log, { pingIntervalMs: opts.pingIntervalMs, livenessMs: opts.livenessMs });
  server.addService(checkedDecoding(workerDef), serveService(workerDef, workerHandlers, WORKER_ROLES, calls));

  const ecosystem = new Ecosystem({ core, estimates, clock, log });
  // The Open Inference Protocol carries the same tokens as punctual.v1 (OIP_ROLES).
  ecosystem.addServices(server, calls);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort(host, opts.port), serverCredentials(opts), (err, port) =>
      err ? reject(err) : resolve(port),
    );
  });
  log.info({ event: 'listening', host, port }, `controller listening on ${hostPort(host, port)}`);
  const metricsPort = await ecosystem.startMetrics(metricsListenOptions);
  const healthPort = await ecosystem.startHealthPort(opts.metricsHost, opts.healthPort);

  // The HTTP port's routes, each a fastify plugin (controller/http/http-server.ts).
  const httpPlugins: HttpPlugin[] = [v2Routes({ core, clock, log, auth, ready: () => ecosystem.ready(), maxBodyBytes: opts.maxMessageBytes, statistics: ecosystem.statistics }), dashboardRoutes({ core, estimates, auth, startedAt })];
  let http: HttpServer | undefined;
  if (opts.httpPort >= 0) {
    try {
      http = await startHttpServer({ port: opts.httpPort, host: opts.httpHost, bodyLimit: opts.maxMessageBytes, plugins: httpPlugins, log, ...(httpTls ? { tls: httpTls } : {}) });
    } catch (err) {
      await ecosystem.close();
      core.close();
      server.forceShutdown();
      throw err;
    }
    log.info({ event: 'http_listening', host: http.host, port: http.port, tls: httpTls !== undefined }, `V2 REST on ${http.url}`);
  }
  ecosystem.refresh();

  // Carried as the worker stream's deserializers read them, so a local worker's messages read as a remote one's.
  // Built on the first local worker only: a controller whose workers all dial pays nothing for them.
  let carriers: { up: Carry<WorkerMessage>; down: Carry<ControllerMessage> } | undefined;
  let closing = false;
  return {
    port,
    core,
    estimates,
    metricsPort,
    healthPort,
    httpPort: http?.port,
    connectLocalWorker: () => {
      if (closing) return refusedClientStream<WorkerMessage>('the controller in this process has stopped');
      carriers ??= { up: inProcessCarry('worker', 'punctual.v1.WorkerMessage') as Carry<WorkerMessage>, down: inProcessCarry('worker', 'punctual.v1.ControllerMessage') as Carry<ControllerMessage> };
      const { client, server } = localStreamPair(carriers.up, carriers.down);
      workerHandlers.Connect(server);
      return client;
    },
    drain: (timeoutMs = opts.drainTimeoutMs) => ecosystem.drain(timeoutMs),
    close: async () => {
      closing = true;
      await http?.close();
      await ecosystem.close();
      core.close();
      for (const w of core.workers.values()) w.stream.end();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
