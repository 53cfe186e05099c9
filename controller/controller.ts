// The controller process: reads the model repository (profiling models on
// first sight), then serves punctual.v1.Inference and Admin to clients and
// WorkerControl to workers, all on one port.
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { systemClock, type Clock } from '../common/clock.js';
import { createLogger, type Logger } from '../common/log.js';
import { serializeModelConfig } from '../common/model-config.js';
import { createServer, protos } from '../common/protos.js';
import { profileModel } from '../profiles/profiler.js';
import { Authorizer, guardService, type TokenOptions } from './auth.js';
import { Ecosystem, type DrainResult } from './ecosystem.js';
import { Estimates } from './estimates.js';
import { checkSignature, outputsOf } from './model-check.js';
import { ModelAdmin } from './model-admin.js';
import { ModelRegistry } from './model-registry.js';
import { loadRepository, saveConfig, saveProfile, type RepoModel } from './model-repository.js';
import type { Policy } from './scheduler/policy.js';
import { cleanStaleFolders } from './repository-writer.js';
import { ServingCore } from './serving-core.js';
import { adminService } from './services/admin-service.js';
import { inferenceService } from './services/inference-service.js';
import { workerService } from './services/worker-service.js';

export interface ControllerOptions extends TokenOptions {
  /** Port for clients and workers; 0 picks a free one. @default 7000 */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** Model repository: <repo>/<model>/<version>/{model.onnx,config.json}. */
  repoDir: string;
  clock?: Clock;
  /** Keep executors booked this far ahead, ms. @default 10 */
  scheduleAheadMs?: number;
  /** Timed runs per batch size when a model is profiled on first sight. @default 20 */
  profileIterations?: number;
  /** How often each worker's clock offset is measured, ms. @default 1000 */
  pingIntervalMs?: number;
  /** An action unanswered this long after its predicted end is taken as lost, ms. @default 1000 */
  lostAfterMs?: number;
  /** Most of an SLO the admission reserve may take; 0 turns the reserve off. @default 0.3 */
  maxReserveShare?: number;
  /** Scheduling policy: 'fifo' is the baseline (no admission control, no deadline awareness). @default 'punctual' */
  policy?: Policy;
  /** @default PUNCTUAL_LOG_LEVEL or 'info' */
  logLevel?: string;
  logger?: Logger;
  /** Prometheus /metrics port; 0 picks a free one, -1 turns it off (the CLI's default is 9464). @default -1 */
  metricsPort?: number;
  /** Address /metrics listens on. @default the `host` option */
  metricsHost?: string;
  /** Largest model file Admin.RegisterModel accepts, bytes. @default 1 GiB */
  maxModelBytes?: number;
  /** TLS for the listener: PEM certificate chain and private key files. @default plaintext */
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/** Plaintext, or TLS from PEM files. */
function serverCredentials(opts: ControllerOptions): grpc.ServerCredentials {
  if (!opts.tlsCertFile && !opts.tlsKeyFile) return grpc.ServerCredentials.createInsecure();
  if (!opts.tlsCertFile || !opts.tlsKeyFile) throw new Error('TLS needs both a certificate (--tls-cert) and a key (--tls-key)');
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(opts.tlsCertFile), private_key: fs.readFileSync(opts.tlsKeyFile) }], false);
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
  /** Stops accepting new requests (UNAVAILABLE) and waits for accepted ones, at most `timeoutMs` (default 10 s). */
  drain(timeoutMs?: number): Promise<DrainResult>;
  close(): Promise<void>;
}

/** Profiles (if needed) and checks one model from the repository. Returns a problem or undefined. */
async function prepareModel(m: RepoModel, opts: ControllerOptions, log: Logger): Promise<string | undefined> {
  if (m.profile && m.config.outputs.length > 0) return undefined;
  const measure = !m.profile;
  if (measure) log.info({ event: 'profiling', model: m.key }, `profiling ${m.key} (first sight)`);
  try {
    // With a stored profile, only the model's signature is read (no timed runs).
    const { profile, signature } = await profileModel(m.key, m.bytes, m.config.inputs, measure ? m.config.batchSizes : [], {
      iterations: opts.profileIterations ?? 20,
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

export async function startController(opts: ControllerOptions): Promise<ControllerHandle> {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? createLogger('controller', opts.logLevel);
  const estimates = new Estimates();
  const registry = new ModelRegistry();
  const core = new ServingCore({ clock, registry, estimates, log, scheduleAheadMs: opts.scheduleAheadMs, lostAfterMs: opts.lostAfterMs, policy: opts.policy, maxReserveShare: opts.maxReserveShare });

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
    core.scheduler.addModel(m.key, m.config.batchSizes);
  }
  log.info({ event: 'models_ready', models: registry.all().map((m) => m.key) }, `serving ${registry.size} models`);

  const server = createServer();
  const p = protos();
  const startedAt = clock.now();

  const auth = new Authorizer(opts);
  const inferenceDef = p.inference.punctual.v1.Inference.service;
  server.addService(inferenceDef, guardService(inferenceDef, inferenceService(core, clock, log), () => 'infer', auth));
  const modelAdmin = new ModelAdmin(core, estimates, clock, log, { repoDir: opts.repoDir, profileIterations: opts.profileIterations });
  const adminHandlers = adminService(core, estimates, clock, startedAt, {
    modelAdmin,
    maxModelBytes: opts.maxModelBytes ?? 2 ** 30,
    profileIterations: opts.profileIterations ?? 20,
    log,
  });
  const adminDef = p.admin.punctual.v1.Admin.service;
  server.addService(adminDef, guardService(adminDef, adminHandlers, (m) => (m === 'ListModels' ? 'read' : 'admin'), auth));
  const workerDef = p.worker.punctual.v1.WorkerControl.service;
  server.addService(workerDef, guardService(workerDef, workerService(core, clock, log, { pingIntervalMs: opts.pingIntervalMs ?? 1000 }), () => 'worker', auth));

  const ecosystem = new Ecosystem({ core, estimates, clock, log });
  // The Open Inference Protocol carries the same tokens as punctual.v1: inference
  // and metadata take the infer token, the repository extension the admin token.
  ecosystem.addServices(server, (def, handlers) =>
    guardService(def, handlers, (m) => (m.startsWith('Repository') ? 'admin' : m === 'ModelInfer' ? 'infer' : 'read'), auth),
  );

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host ?? '0.0.0.0'}:${opts.port ?? 7000}`, serverCredentials(opts), (err, port) =>
      err ? reject(err) : resolve(port),
    );
  });
  log.info({ event: 'listening', port }, `controller listening on port ${port}`);
  const metricsPort = await ecosystem.startMetrics(opts.metricsPort ?? -1, opts.metricsHost ?? opts.host ?? '0.0.0.0');
  ecosystem.refresh();

  return {
    port,
    core,
    estimates,
    metricsPort,
    drain: (timeoutMs = 10_000) => ecosystem.drain(timeoutMs),
    close: async () => {
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
