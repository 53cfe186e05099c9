// Changes the set of served models on a running controller: registration
// (validate with onnxruntime in a worker thread, move the uploaded file into
// the repository atomically, put the bytes on every worker, profile, then
// serve), version swaps without downtime, and removal. One change runs at a
// time. Model bytes stay on disk: everything here passes the file's path.
//
// A new version of a served name is warmed first (loaded wherever the old
// one is loaded), then traffic switches to it (the registry resolves
// version 0 to it), then the old version drains (its queued and running
// requests finish), and only then is it unloaded. The old version stays in
// the repository and may still be pinned; it loads again on demand.
//
// `--copies N` (up to MAX_COPIES) validates and profiles the file once; the
// copies share that profile, their files (hard links, repository-writer.ts)
// and, on each worker, the bytes (sent once, then named by SHA-256:
// worker-connection.ts). Copies of names not yet served are written a few at
// a time and made servable together; a copy that replaces a served version
// goes through the warm-switch-drain of a version swap one at a time. A
// re-registration of bytes validated and profiled recently (one of the last
// RECENT_CHECKS files) with the same inputs and batch sizes (a large set of
// copies sent in several calls) reuses that validation and profile.
import { quoted, someOf } from '../common/bounded-text.js';
import { PunctualError, Status, invalidArgument, notFound } from '../common/errors.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import {
  MAX_MODEL_VERSION,
  MODEL_NAME_PATTERN,
  MODEL_VERSION_RANGE,
  isModelVersion,
  modelKey,
  parseModelConfig,
  parseModelKey,
  parseModelVersion,
  type ModelConfig,
} from '../common/model-config.js';
import type { ModelSignature } from '../common/model-signature.js';
import type { RegisterMetadata__Output } from '../common/wire.js';
import { profileModel, type ModelFile } from '../profiles/profiler.js';
import type { ModelProfile } from '../common/profile.js';
import type { Estimates } from './scheduler/estimates.js';
import { checkSignature, outputsOf } from './model-check.js';
import { resolveInputs } from './model-inputs.js';
import { MAX_COPIES, type ServedModel } from './model-registry.js';
import type { RepoModel } from './model-repository.js';
import { removeVersion, writeSharedFiles, writeVersion } from './repository-writer.js';
import type { ServingCore } from './serving-core.js';
import { OTHER_SHARD } from './shard.js';
import fs from 'node:fs';
import path from 'node:path';

/** Resolved by compileControllerOptions (controller/options.ts), which holds their defaults. */
export interface ModelAdminOptions {
  repoDir: string;
  /** Timed runs per batch size when a registered model is profiled (ControllerOptions.profileIterations). */
  profileIterations: number;
  /** How long a new version may take to load where the old one is loaded, ms (ControllerOptions.swapWarmTimeoutMs). */
  warmTimeoutMs: number;
  /** How long the old version's queued and running requests may take to finish, ms (ControllerOptions.swapDrainTimeoutMs). */
  drainTimeoutMs: number;
}

export interface RegisterOutcome {
  models: ServedModel[];
  /** Keys of the versions these replaced as the default. */
  replaced: string[];
  readyMs: number;
}

/** Version folders written at once while registering copies. */
const WRITE_CONCURRENCY = 8;
/** Models whose bytes are placed on one worker at once (the copies of one file cost a message each). */
const DISTRIBUTE_CONCURRENCY = 16;
/** Recent validations and profiles kept for re-registrations of the same bytes. */
const RECENT_CHECKS = 8;

/** What validating and profiling a file found, for one set of declared inputs and batch sizes. */
interface Checked {
  signature: ModelSignature;
  /** By `inputs|batchSizes|iterations`. */
  profiles: Map<string, ModelProfile>;
}

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure once all have settled. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        try {
          await fn(items[i]!, i);
        } catch (err) {
          failure ??= { err };
        }
      }
    }),
  );
  if (failure) throw failure.err;
}

/** "c-0@1, c-1@1, c-2@1, … c-999@1 (1000)": a long list of keys for a log line. */
function someKeys(keys: readonly string[]): string {
  return keys.length <= 6 ? keys.join(', ') : `${keys.slice(0, 3).join(', ')}, … ${keys[keys.length - 1]} (${keys.length})`;
}

export class ModelAdmin {
  private chain: Promise<unknown> = Promise.resolve();
  /** By SHA-256, newest last. */
  private readonly checked = new Map<string, Checked>();

  constructor(
    private readonly core: ServingCore,
    private readonly estimates: Estimates,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: ModelAdminOptions,
  ) {}

  /** Runs one change after the previous one finished. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Registers the model in `upload` (a checked file; on success it is moved
   * into the repository, so the caller removes whatever is left afterwards).
   */
  register(meta: RegisterMetadata__Output, upload: ModelFile): Promise<RegisterOutcome> {
    return this.serialize(() => this.doRegister(meta, upload));
  }

  /** Refuses metadata that can never register (name, copies, version), before any byte is uploaded. */
  checkMeta(meta: RegisterMetadata__Output): void {
    this.names(meta);
    this.checkVersion(meta.version);
  }

  unregister(name: string, version: number): Promise<string[]> {
    return this.serialize(() => this.doUnregister(name, version));
  }

  /** Stores a new profile for a served model and seeds its estimates from it. */
  async storeProfile(m: ServedModel, profile: ModelProfile, save: (m: RepoModel, p: ModelProfile) => Promise<void>): Promise<void> {
    await this.serialize(async () => {
      await save(m, profile);
      this.estimates.seed(m.key, profile);
    });
  }

  private names(meta: RegisterMetadata__Output): string[] {
    const name = meta.name;
    if (!MODEL_NAME_PATTERN.test(name) || name.includes('..')) {
      throw invalidArgument(`model name ${JSON.stringify(name)} is not valid: 1-128 letters, digits, '_', '.', '-', starting with a letter or digit`);
    }
    const copies = meta.copies || 1;
    if (copies > MAX_COPIES) throw invalidArgument(`copies must be from 1 to ${MAX_COPIES}, not ${copies}`);
    const names = copies === 1 ? [name] : Array.from({ length: copies }, (_, i) => `${name}-${i}`);
    if (!names.every((n) => MODEL_NAME_PATTERN.test(n))) throw invalidArgument(`model name ${name} is too long for ${copies} copies`);
    return this.owned(names);
  }

  /**
   * In a ring of controllers, the names this one owns: a model another
   * owns is refused with its owner (FAILED_PRECONDITION, reason other_shard);
   * of several copies, this one registers its share, and the others go to
   * their owners (the CLI sends the same registration to every controller).
   */
  private owned(names: string[]): string[] {
    const shard = this.core.registry.shard;
    if (!shard) return names;
    const mine = names.filter((n) => shard.owns(n));
    if (mine.length > 0) return mine;
    const owner = shard.ring.owner(names[0]!);
    if (names.length === 1) throw shard.otherShard(names[0]!, owner, Status.FAILED_PRECONDITION);
    throw new PunctualError(
      Status.FAILED_PRECONDITION,
      `none of the ${names.length} copies ${names[0]} … ${names[names.length - 1]} is owned by this controller (${shard.self.name}): send the registration to the other controllers of the ring`,
      OTHER_SHARD,
    );
  }

  private checkVersion(asked: number): void {
    if (asked !== 0 && !isModelVersion(asked)) throw invalidArgument(`version must be ${MODEL_VERSION_RANGE}, or 0 for the next one; not ${asked}`);
  }

  private versionFor(name: string, asked: number): number {
    this.checkVersion(asked);
    const served = this.core.registry.versions(name).map((m) => m.config.version);
    let onDisk: number[] = [];
    try {
      onDisk = fs.readdirSync(path.join(this.opts.repoDir, name)).flatMap((v) => parseModelVersion(v) ?? []);
    } catch {
      onDisk = [];
    }
    const all = [...served, ...onDisk];
    if (asked === 0) {
      const next = Math.max(0, ...all) + 1;
      if (next > MAX_MODEL_VERSION) {
        throw invalidArgument(`model ${name} already has version ${MAX_MODEL_VERSION}, the highest there is: give a free version ${MODEL_VERSION_RANGE} explicitly`);
      }
      return next;
    }
    if (all.includes(asked)) {
      throw new PunctualError(Status.ALREADY_EXISTS, `model ${name} version ${asked} already exists (versions: ${[...new Set(all)].sort((a, b) => a - b).join(', ')})`, 'already_exists');
    }
    return asked;
  }

  private async doRegister(meta: RegisterMetadata__Output, upload: ModelFile): Promise<RegisterOutcome> {
    const started = this.clock.now();
    const names = this.names(meta);
    const versions = names.map((n) => this.versionFor(n, meta.version));
    const { base, profile } = await this.check(meta, upload, modelKey(names[0]!, versions[0]!));

    const configs = names.map((name, i): ModelConfig => ({ ...base, name, version: versions[i]! }));
    const models = await this.write(configs, upload, profile);
    // Names with no served version become servable together; replacing a served version is a swap, one at a time.
    const fresh = new Set(models.filter((m) => this.core.registry.versions(m.config.name).length === 0));
    const served: ServedModel[] = await this.addAll([...fresh]);
    const replaced: string[] = [];
    for (const m of models) {
      if (fresh.has(m)) continue;
      const { model, previous } = await this.makeServable(m);
      served.push(model);
      if (previous) replaced.push(previous);
    }
    const order = new Map(names.map((n, i) => [n, i]));
    served.sort((a, b) => order.get(a.config.name)! - order.get(b.config.name)!);
    const readyMs = this.clock.now() - started;
    const keys = served.map((m) => m.key);
    this.log.info({ event: 'registered', models: keys.length > 6 ? someKeys(keys) : keys, count: keys.length, replaced, readyMs }, `registered ${someKeys(keys)}`);
    return { models: served, replaced, readyMs };
  }

  /**
   * Validates the upload (onnxruntime opens it, in a worker thread) and
   * profiles it, or reuses what that found for the same bytes, inputs and
   * batch sizes recently. Returns the config every copy shares.
   */
  private async check(meta: RegisterMetadata__Output, upload: ModelFile, firstKey: string): Promise<{ base: ModelConfig; profile: ModelProfile }> {
    const known = this.checked.get(upload.sha256);
    let signature = known?.signature;
    if (!signature) {
      try {
        ({ signature } = await profileModel(firstKey, upload, [], [], { loads: 1 }));
      } catch (err) {
        throw invalidArgument(`not a valid ONNX model (onnxruntime cannot open it): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const inputs = resolveInputs(meta.inputs, signature);
    const maxBatch = meta.maxBatch || 1;
    const raw = {
      inputs,
      maxBatch,
      ...(meta.batchSizes.length > 0 ? { batchSizes: meta.batchSizes } : {}),
      defaultSloMs: meta.defaultSloMs || 100,
      ...(meta.threads ? { threads: meta.threads } : {}),
    };
    const { name, version } = parseModelKey(firstKey);
    let base: ModelConfig;
    try {
      base = parseModelConfig(raw, 'registration', name, version);
    } catch (err) {
      throw invalidArgument(err instanceof Error ? err.message : String(err));
    }
    const problem = checkSignature(base, signature);
    if (problem) throw invalidArgument(problem);
    base.outputs = outputsOf(signature);

    const entry: Checked = known ?? { signature, profiles: new Map() };
    const profileKey = `${JSON.stringify(inputs)}|${base.batchSizes.join(',')}|${this.opts.profileIterations}`;
    let profile = entry.profiles.get(profileKey);
    if (!profile) {
      try {
        ({ profile } = await profileModel(firstKey, upload, inputs, base.batchSizes, { iterations: this.opts.profileIterations, loads: 1 }));
      } catch (err) {
        throw invalidArgument(`the model does not run with the declared inputs: ${err instanceof Error ? err.message : String(err)}`);
      }
      entry.profiles.set(profileKey, profile);
    }
    this.checked.delete(upload.sha256);
    this.checked.set(upload.sha256, entry);
    for (const sha of this.checked.keys()) {
      if (this.checked.size <= RECENT_CHECKS) break;
      this.checked.delete(sha);
    }
    return { base, profile };
  }

  /**
   * Writes every copy's version folder (a few at a time), all sharing the
   * uploaded file, one config.json and one profile.json through hard links.
   * The last one takes the upload itself (a rename). A failure removes the
   * folders this call wrote.
   */
  private async write(configs: ModelConfig[], upload: ModelFile, measured: ModelProfile): Promise<RepoModel[]> {
    const { repoDir } = this.opts;
    const single = configs.length === 1;
    const first = modelKey(configs[0]!.name, configs[0]!.version);
    // One profile object for every copy, in memory as on disk.
    const profile: ModelProfile = { ...measured, model: single ? first : `${first} (+${configs.length - 1} copies)` };
    const shared = single ? undefined : await writeSharedFiles(repoDir, configs[0]!, profile);
    const models: RepoModel[] = [];
    const put = async (config: ModelConfig, i: number): Promise<void> => {
      const keepSource = i < configs.length - 1;
      const dir = await writeVersion(repoDir, { config, source: upload.file, keepSource, profile, ...(shared ? { shared } : {}) });
      models[i] = { key: modelKey(config.name, config.version), config, dir, file: path.join(dir, 'model.onnx'), size: upload.size, sha256: upload.sha256, profile };
    };
    try {
      await eachLimited(configs.slice(0, -1), WRITE_CONCURRENCY, put);
      await put(configs[configs.length - 1]!, configs.length - 1);
    } catch (err) {
      const written = models.filter((m): m is RepoModel => m !== undefined);
      await Promise.all(written.map((m) => removeVersion(repoDir, m.config.name, m.config.version).catch(() => undefined)));
      throw err;
    } finally {
      await shared?.remove();
    }
    return models;
  }

  /** Models of names not served yet: bytes on every worker, then estimates, scheduler and registry, then any worker that joined meanwhile. */
  private async addAll(models: RepoModel[]): Promise<ServedModel[]> {
    if (models.length === 0) return [];
    await this.distributeAll(models);
    const served = models.map((m) => {
      this.estimates.seed(m.key, m.profile!);
      this.core.addModel(m);
      return this.core.registry.add(m);
    });
    await this.distributeAll(models);
    return served;
  }

  /** Bytes on every worker, estimates, warm where the old version is loaded, switch, drain the old one. */
  private async makeServable(m: RepoModel): Promise<{ model: ServedModel; previous?: string }> {
    const { core } = this;
    await this.distribute(m);
    this.estimates.seed(m.key, m.profile!);
    core.addModel(m);
    const versions = core.registry.versions(m.config.name);
    const old = versions[versions.length - 1];
    if (old && old.config.version < m.config.version) await this.warmLike(m.key, old.key);
    const model = core.registry.add(m);
    await this.distribute(m); // a worker that joined meanwhile
    if (!old || old.config.version > m.config.version) return { model };
    await this.drain(old.key);
    // Unload it everywhere; it stays registered (pinnable) and loads again on demand.
    core.removeModel(old.key);
    core.addModel(old);
    this.log.info({ event: 'version_swapped', from: old.key, to: m.key }, `${m.key} replaced ${old.key}`);
    return { model, previous: old.key };
  }

  private async distribute(m: RepoModel): Promise<void> {
    await this.distributeAll([m]);
  }

  /** Puts the models' bytes on every connected worker (a few models at a time per worker); a worker that does not take them is logged. */
  private async distributeAll(models: readonly RepoModel[]): Promise<void> {
    await Promise.all(
      [...this.core.workers.values()].map((w) =>
        eachLimited(models, DISTRIBUTE_CONCURRENCY, (m) =>
          w.ensureBytes(m.key, m).catch((err: unknown) => {
            this.log.warn({ event: 'bytes_not_taken', worker: w.name, model: m.key, err: String(err) }, 'a worker did not take model bytes');
          }),
        ),
      ),
    );
  }

  /** Loads `key` on every executor holding `like`, and waits until those loads finished (or failed). */
  private async warmLike(key: string, like: string): Promise<void> {
    const { view } = this.core;
    const targets = [...view.executors()].filter((e) => e.holds(like)).map((e) => e.spec.id);
    if (targets.length === 0) return;
    this.core.load(key, targets);
    const loaded = await this.core.until(() => !targets.some((id) => view.executor(id)?.models.get(key)?.state === 'loading'), this.opts.warmTimeoutMs);
    if (loaded) return;
    this.log.warn({ event: 'warm_timeout', model: key }, `${key} did not finish loading in time; switching anyway`);
  }

  /** Waits until no request of `key` is queued or running. */
  private async drain(key: string): Promise<void> {
    await this.core.until(() => this.core.pendingFor(key) === 0, this.opts.drainTimeoutMs);
  }

  private async doUnregister(name: string, version: number): Promise<string[]> {
    const { core } = this;
    const all = core.registry.versions(name);
    if (all.length === 0) {
      const names = [...new Set(core.registry.all().map((m) => m.config.name))].sort();
      throw notFound(`model ${quoted(name)} is not registered; registered models: ${names.length ? someOf(names) : '(none)'}`);
    }
    const targets = version === 0 ? all : all.filter((m) => m.config.version === version);
    if (targets.length === 0) {
      throw notFound(`model ${name} has no version ${version}; versions: ${all.map((m) => m.config.version).join(', ')}`);
    }
    for (const m of targets) core.registry.remove(m.key); // new requests: NOT_FOUND
    for (const m of targets) {
      await this.drain(m.key);
      core.removeModel(m.key); // the unloads go out before the bytes are forgotten
      this.estimates.forget(m.key);
      for (const w of core.workers.values()) w.forget(m.key);
      await removeVersion(this.opts.repoDir, m.config.name, m.config.version);
    }
    core.pump();
    const removed = targets.map((m) => m.key);
    this.log.info({ event: 'unregistered', models: removed }, `unregistered ${removed.join(', ')}`);
    return removed;
  }
}
