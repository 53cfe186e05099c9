// The Open Inference Protocol's repository extension and model configuration,
// the same over gRPC (services/oip-service.ts) and REST (http/v2-routes.ts):
// Index lists the registry with where each model is resident; Load warms a
// model on the executors where it fits and waits for it; Unload unloads it
// where it sits idle (it stays registered and loads again on demand); the
// executors a ModelConfig maps to instance groups are those of workers not
// draining. Registering new models is punctual.v1.Admin's job.
import { PunctualError, Status, unavailable } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ExecutorInfo__Output } from '../../common/wire.js';
import type { ServedModel } from '../model-registry.js';
import type { ServingCore } from '../serving-core.js';

/** Longest a repository load waits for the load it planned, ms. */
export const LOAD_WAIT_MS = 10_000;

export interface RepositoryEntry {
  name: string;
  version: string;
  state: 'READY' | 'UNAVAILABLE';
  reason: string;
}

/** Every registered model, READY with where it is resident when the server is ready; `readyOnly`: only those. */
export function repositoryIndex(core: ServingCore, ready: boolean, readyOnly: boolean): RepositoryEntry[] {
  const models = core.registry.all().map((m): RepositoryEntry => {
    const r = core.view.residency(m.key);
    const where = r.loaded.length > 0 ? `loaded on ${r.loaded.join(', ')}` : r.loading ? 'loading' : 'not resident; loads on demand';
    return { name: m.config.name, version: String(m.config.version), state: ready ? 'READY' : 'UNAVAILABLE', reason: ready ? where : 'no worker connected' };
  });
  return readyOnly ? models.filter((m) => m.state === 'READY') : models;
}

/** Loads the model where it fits and waits (at most LOAD_WAIT_MS) until it is loaded somewhere or no load is left. */
export async function repositoryLoad(core: ServingCore, m: ServedModel, log: Logger, protocol?: 'http'): Promise<void> {
  if (core.view.executorCount === 0) throw unavailable('no worker connected: nothing to load the model on');
  core.load(m.key);
  const settled = await core.until(() => {
    const r = core.view.residency(m.key);
    return r.loaded.length > 0 || !r.loading;
  }, LOAD_WAIT_MS);
  if (!settled) throw new PunctualError(Status.DEADLINE_EXCEEDED, `model ${m.key} is still loading after ${LOAD_WAIT_MS} ms`);
  log.info({ event: 'oip_load', model: m.key, loadedOn: core.view.residency(m.key).loaded, ...(protocol ? { protocol } : {}) }, `repository load of ${m.key}`);
}

/** Unloads the model from every executor where it is idle. */
export function repositoryUnload(core: ServingCore, m: ServedModel, log: Logger, protocol?: 'http'): void {
  const n = core.unloadIdle(m.key);
  log.info({ event: 'oip_unload', model: m.key, executors: n, ...(protocol ? { protocol } : {}) }, `repository unload of ${m.key} from ${n} executor(s)`);
}

/** The executors of workers not draining: what a model configuration's instance groups describe. */
export function servingExecutors(core: ServingCore): ExecutorInfo__Output[] {
  return [...core.workers.values()].filter((w) => !w.draining).flatMap((w) => w.executors);
}

/** Load parameters (a config, files) are not taken: models are registered through punctual.v1.Admin. */
export function refuseLoadParameters(): never {
  throw new PunctualError(Status.UNIMPLEMENTED, 'load parameters (config, file:…) are not supported: register models with punctual.v1.Admin');
}
